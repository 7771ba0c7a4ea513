// Command mutate is `make mutate`: mutation testing of the packages whose
// behaviour the guarantees rest on (the store, the station, the encoder,
// the feedback dispatcher and the device decoders) with
// github.com/go-gremlins/gremlins, summed up in one table.
//
// For each target it runs gremlins on a snapshot of the tracked source (so
// edits made during a long run do not leak into it), then counts per
// package: killed, timed out, lived, not covered and not viable mutants,
// and the efficacy (killed + timed out) / (killed + timed out + lived).
//
// Not-viable mutants (the mutated code does not compile, e.g. a string
// "+" turned into "-") are not counted at all: gremlins v0.6.0 reads the
// exit status 1 of `go test` as KILLED, and `go test` exits 1 on a build
// failure too. So gremlins runs with this program first in PATH under the
// name "go": that wrapper runs the real go and turns a "[build failed]" /
// "[setup failed]" exit into status 2, which gremlins reports as NOT
// VIABLE.
//
// Every survivor (LIVED mutant) of a gated target must be explained in
// test/mutate/survivors.txt, matched by file, mutator and the text of the
// mutated source line (not its number, which moves with every edit);
// an unexplained survivor or an efficacy under the target's floor makes
// the run fail.
package main
