import CFSPProtocol
import Core
import Kernels
import RPC
import Testing

/// `run`'s params are its stages' params under run's names: each member lands in its stage's
/// params, absent ones take the stage's default (and `run`'s own for sparsity and the format).
@Suite("run params: stage members under run's names")
struct RunParamsTests {
    @Test("absent members take the stages' defaults, sparsity and the export format run's")
    func defaults() throws {
        let params = try RunParams.decode(wire: ["modelPath": "/m.gguf", "path": "/text.txt"])
        #expect(params.load == LoadModelParams(path: "/m.gguf"))
        #expect(params.calibration.input == TextInput(path: "/text.txt"))
        #expect(params.calibration.sampling == CalibrationSampling())
        #expect(params.pruning == PruningOptions(sparsity: RunParams.defaultSparsity))
        #expect(params.export.format == .gguf && params.export.precision == ExportParams.blank.precision)
        #expect(params.exportPath == nil && !params.release)
        #expect(params.evaluateParams(model: "m2") == EvaluateParams(model: "m2", input: TextInput(path: "/text.txt")))
    }

    @Test("each renamed member reaches its stage, and the params round-trip")
    func renamedMembers() throws {
        let wire: JSONValue = [
            "modelPath": "/m.gguf", "loadPrecision": "bf16", "tokens": [1, 2, 3, 4], "count": 7, "windowSize": 64,
            "evalPath": "/test.jsonl", "evalField": "body", "evalWindowSize": 32, "maxWindows": 3,
            "sparsity": 0.5, "method": "wanda-sp", "align": 8, "exportPath": "/out", "exportFormat": "hf",
            "exportPrecision": "bf16", "exportName": "pruned", "overwrite": true, "release": true,
        ]
        let params = try RunParams.decode(wire: wire)
        #expect(params.load.precision == .bf16)
        #expect(params.calibration.input.tokens == [1, 2, 3, 4])
        #expect(params.calibration.sampling.count == 7 && params.calibration.sampling.windowSize == 64)
        let evaluation = params.evaluateParams(model: "m1")
        #expect(evaluation.input.path == "/test.jsonl" && evaluation.input.field == "body")
        #expect(evaluation.windowSize == 32 && evaluation.maxWindows == 3)
        #expect(params.pruning.sparsity == 0.5 && params.pruning.method == .wandaSP && params.pruning.align == 8)
        #expect(params.exportPath == "/out" && params.export.format == .hf && params.export.precision == .bf16)
        #expect(params.export.name == "pruned" && params.export.overwrite && params.release)
        #expect(try RunParams.decode(wire: params.wireJSON) == params)
    }
}
