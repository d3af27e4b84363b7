import ArgumentParser
import Core
import Kernels

/// Options every compute command shares: threads and weight precision.
struct EngineOptions: ParsableArguments {
    @Option(help: "Compute threads (default: the processors available).")
    var threads: Int = ThreadPool.availableProcessors

    @Option(help: "Precision of the linear layers in memory: f32, bf16, or native (a GGUF's matrices kept in the file's own encoding: f32 results at the file's size).")
    var precision = ModelLoader.defaultPrecision

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func makePool() -> ThreadPool {
        VectorISA.requireRunnable()
        return ThreadPool(threads: threads)
    }
}

extension WeightPrecision: ExpressibleByArgument {}
