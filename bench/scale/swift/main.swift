import Core
import Foundation
import Kernels

// Scale benchmark (issue 16): synthetic models with real shapes, and the memory and speed of
// calibrating them with the whole model loaded or one block at a time.
//
//   ScaleBench synthesize SHAPE OUT.gguf [--precision q4_k_m] [--seed 0]
//   ScaleBench calibrate MODEL.gguf [--mode loaded|sequential|sequential-file] [--precision f32|bf16|native]
//              [--windows 2] [--window-size 256] [--no-gram] [--scratch DIR]
//   ScaleBench pipeline MODEL.gguf OUT.gguf [--sparsity 0.3] [--compensation least-squares|none]
//              [--export bf16|f32|q8_0|q4_k_m] [--precision f32|bf16] [--windows 2] [--window-size 256]
//              [--scratch DIR]
//
// `pipeline` prunes a model without loading it: layer-sequential calibration (hidden states and,
// with compensation, each block's Gram matrices in temporary files in --scratch), the plan over
// blocks read from the file, and the GGUF export streamed block by block. It prints one JSON
// line with each phase's seconds and peak resident memory (VmHWM, reset between phases through
// /proc/self/clear_refs), and the whole run's peak.
//
// `calibrate` prints one JSON line: seconds to load (or, layer-sequential, to open and check the
// file), seconds and tokens/s of the calibration, and the process's peak resident memory
// (VmHWM of /proc/self/status) at the end; run each mode in its own process, since the peak
// is per process. Windows are token ids spread over the vocabulary (synthetic models have no
// tokenizer; the statistics are measured, not their meaning).

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ScaleBench: \(message)\n".utf8))
    exit(2)
}

/// Resets the process's peak resident set (VmHWM) to the current one, so the next phase's peak
/// is its own (Linux 4.0 and later: writing 5 to /proc/self/clear_refs).
func resetPeak() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

/// A field of /proc/self/status in MiB (VmHWM: peak resident set; VmRSS: current).
func statusMiB(_ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kB = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kB / 1024
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("usage: ScaleBench synthesize|calibrate|pipeline ...") }
arguments.removeFirst()
var options: [String: String] = [:]
var flags: Set<String> = []
var positional: [String] = []
while !arguments.isEmpty {
    let arg = arguments.removeFirst()
    if arg == "--no-gram" { flags.insert(arg); continue }
    if arg.hasPrefix("--") {
        guard !arguments.isEmpty else { fail("\(arg) needs a value") }
        options[arg] = arguments.removeFirst()
    } else {
        positional.append(arg)
    }
}

switch command {
case "synthesize":
    guard positional.count == 2 else { fail("usage: ScaleBench synthesize SHAPE OUT.gguf (shapes: \(SyntheticGGUF.shapeNames))") }
    guard let config = SyntheticGGUF.shape(named: positional[0]) else { fail("unknown shape \(positional[0]); known: \(SyntheticGGUF.shapeNames)") }
    guard let precision = ExportPrecision(rawValue: options["--precision"] ?? "q4_k_m") else { fail("unknown --precision") }
    let start = Date()
    try SyntheticGGUF.write(config: config, precision: precision, seed: UInt64(options["--seed"] ?? "0") ?? 0,
                            to: positional[1], overwrite: true)
    print(String(format: "{\"synthesized\":\"%@\",\"seconds\":%.1f}", positional[1], Date().timeIntervalSince(start)))

case "calibrate":
    guard positional.count == 1 else { fail("usage: ScaleBench calibrate MODEL.gguf [options]") }
    let mode = options["--mode"] ?? "sequential"
    guard let precision = WeightPrecision(rawValue: options["--precision"] ?? "bf16") else { fail("--precision is f32, bf16 or native") }
    let count = Int(options["--windows"] ?? "2") ?? 2, size = Int(options["--window-size"] ?? "256") ?? 256
    let gram = !flags.contains("--no-gram")
    let pool = ThreadPool(threads: Int(options["--threads"] ?? "") ?? ThreadPool.availableProcessors)
    VectorISA.requireRunnable()
    guard ["loaded", "sequential", "sequential-file"].contains(mode) else { fail("--mode is loaded, sequential or sequential-file") }
    let loadStart = Date()
    let file = try GGUFFile(path: positional[0])
    let loaded = mode == "loaded" ? try LlamaModel(gguf: file, precision: precision) : nil
    let source: any BlockWeightSource = try loaded.map(ResidentBlocks.init) ?? FileBlocks(gguf: file, precision: precision)
    let loadSeconds = Date().timeIntervalSince(loadStart)
    let vocabulary = source.config.vocabSize
    let windows = (0..<count).map { w in (0..<size).map { Int32((w * 7919 + $0 * 104_729) % vocabulary) } }
    let start = Date()
    let statistics: CalibrationStatistics
    if let loaded {
        statistics = try Calibrator(gram: gram).calibrate(model: loaded, windows: windows, pool: pool)
    } else {
        let storage: HiddenStateStorage = mode == "sequential-file"
            ? .temporaryFile(directory: options["--scratch"] ?? NSTemporaryDirectory()) : .memory
        statistics = try LayerSequentialCalibrator(gram: gram, storage: storage).calibrate(source: source, windows: windows, pool: pool)
    }
    let seconds = Date().timeIntervalSince(start)
    let c = source.config
    print(String(format: "{\"model\":\"%@\",\"mode\":\"%@\",\"precision\":\"%@\",\"gram\":%@,\"layers\":%d,\"hidden\":%d,\"ffn\":%d,\"windows\":%d,\"window_size\":%d,\"load_s\":%.2f,\"calibration_s\":%.2f,\"tokens_per_s\":%.1f,\"peak_rss_mib\":%.0f,\"rss_mib\":%.0f,\"blocks\":%d}",
                 (positional[0] as NSString).lastPathComponent, mode, precision.rawValue, gram ? "true" : "false",
                 c.numLayers, c.hiddenSize, c.intermediateSizes.max() ?? 0, count, size, loadSeconds, seconds,
                 Double(count * size) / seconds, statusMiB("VmHWM"), statusMiB("VmRSS"), statistics.blocks.count))

case "pipeline":
    guard positional.count == 2 else { fail("usage: ScaleBench pipeline MODEL.gguf OUT.gguf [options]") }
    guard let precision = WeightPrecision(rawValue: options["--precision"] ?? "f32") else { fail("--precision is f32, bf16 or native") }
    guard let exportPrecision = ExportPrecision(rawValue: options["--export"] ?? "bf16") else { fail("unknown --export") }
    guard let compensation = Compensation(rawValue: options["--compensation"] ?? "least-squares") else {
        fail("--compensation is least-squares or none")
    }
    let count = Int(options["--windows"] ?? "2") ?? 2, size = Int(options["--window-size"] ?? "256") ?? 256
    let scratch = options["--scratch"] ?? NSTemporaryDirectory()
    let pool = ThreadPool(threads: Int(options["--threads"] ?? "") ?? ThreadPool.availableProcessors)
    VectorISA.requireRunnable()
    var peaks: [String: Double] = [:], seconds: [String: Double] = [:]
    func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        resetPeak()
        let start = Date()
        let result = try body()
        seconds[name] = Date().timeIntervalSince(start)
        peaks[name] = statusMiB("VmHWM")
        return result
    }
    let (file, source) = try phase("open") {
        let file = try GGUFFile(path: positional[0])
        return (file, try FileBlocks(gguf: file, precision: precision))
    }
    let vocabulary = source.config.vocabSize
    let windows = (0..<count).map { w in (0..<size).map { Int32((w * 7919 + $0 * 104_729) % vocabulary) } }
    let compensating = compensation.rewritesDown
    let (statistics, grams) = try phase("calibrate") { () throws -> (CalibrationStatistics, GramSpill?) in
        let calibrator = LayerSequentialCalibrator(gram: compensating, storage: .temporaryFile(directory: scratch))
        if compensating {
            let (statistics, grams) = try calibrator.calibrate(source: source, windows: windows, pool: pool, spillingGramsTo: scratch)
            return (statistics, grams)
        }
        return (try calibrator.calibrate(source: source, windows: windows, pool: pool), nil)
    }
    var pruning = PruningOptions(sparsity: Double(options["--sparsity"] ?? "0.3") ?? 0.3)
    pruning.compensation = compensation
    let plan = try phase("plan") { try Pruner().plan(source: source, statistics: statistics, options: pruning, pool: pool) }
    let result = try phase("export") {
        try GGUFExporter.exportPruned(blocksOf: source, plan: plan, statistics: statistics, grams: grams,
                                      to: positional[1], precision: exportPrecision, sourceFile: file, overwrite: true,
                                      pool: pool)
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: positional[1])[.size] as? Int) ?? 0
    let c = source.config
    let kept = plan.blocks.map(\.kept.count).reduce(0, +), total = c.intermediateSizes.reduce(0, +)
    func field(_ name: String) -> String { String(format: "\"%@_s\":%.2f,\"%@_peak_mib\":%.0f", name, seconds[name]!, name, peaks[name]!) }
    print("{" + [
        "\"model\":\"\((positional[0] as NSString).lastPathComponent)\"", "\"precision\":\"\(precision.rawValue)\"",
        "\"export\":\"\(exportPrecision.rawValue)\"", "\"compensation\":\"\(compensation.rawValue)\"",
        "\"layers\":\(c.numLayers)", "\"hidden\":\(c.hiddenSize)", "\"ffn\":\(c.intermediateSizes.max() ?? 0)",
        "\"kv\":\(c.kvHeads(layer: 0) * c.headDim)", "\"windows\":\(count)", "\"window_size\":\(size)",
        String(format: "\"ffn_kept\":%.4f", Double(kept) / Double(total)),
        field("open"), field("calibrate"), field("plan"), field("export"),
        String(format: "\"tokens_per_s\":%.1f", Double(count * size) / seconds["calibrate"]!),
        "\"gram_spill_bytes\":\(grams?.byteCount ?? 0)", "\"output_bytes\":\(bytes)",
        "\"output_tensors\":\(result.tensorCount)",
        String(format: "\"peak_rss_mib\":%.0f", peaks.values.max() ?? .nan),
    ].joined(separator: ",") + "}")

default:
    fail("unknown command \(command): synthesize, calibrate or pipeline")
}
