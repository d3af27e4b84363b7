import Core
import Foundation
import Kernels

// Scale benchmark (issue 16): synthetic models with real shapes, and the memory and speed of
// calibrating them with the whole model loaded or one block at a time.
//
//   ScaleBench synthesize SHAPE OUT.gguf [--precision q4_k_m] [--seed 0]
//   ScaleBench calibrate MODEL.gguf [--mode loaded|sequential|sequential-file] [--precision f32|bf16]
//              [--windows 2] [--window-size 256] [--no-gram] [--scratch DIR]
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

/// A field of /proc/self/status in MiB (VmHWM: peak resident set; VmRSS: current).
func statusMiB(_ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kB = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kB / 1024
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("usage: ScaleBench synthesize|calibrate ...") }
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
    guard let precision = WeightPrecision(rawValue: options["--precision"] ?? "bf16") else { fail("--precision is f32 or bf16") }
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

default:
    fail("unknown command \(command): synthesize or calibrate")
}
