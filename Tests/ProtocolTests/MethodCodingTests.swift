import CFSPProtocol
import Core
import Kernels
import RPC
import Testing

/// Golden JSON of every method's params, as clients send them and the daemon reads them:
/// absent members take Core's defaults, and a value encodes to exactly the golden text.
@Suite("Params: golden JSON round trips")
struct ParamsCodingTests {
    @Test("score and prune: absent options take PruningOptions' defaults; every option round-trips")
    func pruningParams() throws {
        let minimal = try PruningParams.decode(wire: json(#"{"model":"m1","calibration":"c1","sparsity":0.3}"#))
        #expect(minimal == PruningParams(model: "m1", calibration: "c1", sparsity: 0.3))
        #expect(minimal.options == PruningOptions(sparsity: 0.3), "one definition of each default: Core's")
        var options = PruningOptions(sparsity: 0.25, method: .wandaSP)
        options.blockMetric = .cosine
        options.temperature = 0.5
        options.scale = 5000
        options.downExponent = 2
        options.activationExponent = 0.5
        options.align = 8
        options.uniformWidths = true
        options.budgetRule = .paper
        options.compensation = .obs
        options.damping = 0.1
        options.structures = [.ffn, .depth]
        options.target = .parameters
        try expectRoundTrip(PruningParams(model: "m2", calibration: "c3", options: options), """
            {"model":"m2","calibration":"c3","sparsity":0.25,"method":"wanda-sp","blockMetric":"cosine",
             "temperature":0.5,"scale":5000,"budgetRule":"paper","downExponent":2,"activationExponent":0.5,"align":8,
             "uniformWidths":true,"compensation":"obs","damping":0.1,"structures":["ffn","depth"],"target":"parameters"}
            """)
        #expect(minimal.options.compensation == nil && minimal.options.effectiveCompensation == .leastSquares)
        #expect(minimal.options.budgetRule == .perToken)
    }

    @Test("calibrate: a text input, CalibrationSampling's defaults, explicit starts")
    func calibrateParams() throws {
        let minimal = try CalibrateParams.decode(wire: json(#"{"model":"m1","path":"/data/train.jsonl"}"#))
        #expect(minimal.sampling == CalibrationSampling(), "N = 128, S = 1024, seed 0 from Core")
        #expect(minimal.blockMetric == .standard)
        var input = TextInput(path: "/data/train.jsonl")
        input.format = .jsonl
        input.field = "body"
        input.separator = " "
        try expectRoundTrip(
            CalibrateParams(model: "m1", input: input, count: 4, windowSize: 16, seed: 3, starts: [0, 10], blockMetric: .mse),
            """
            {"model":"m1","path":"/data/train.jsonl","format":"jsonl","field":"body","separator":" ",
             "count":4,"windowSize":16,"seed":3,"starts":[0,10],"blockMetric":"mse","gram":true}
            """)
        #expect(minimal.gram, "the Gram matrices by default, as compensation is on by default")
        try expectRoundTrip(CalibrateParams(model: "m1", input: TextInput(tokens: [1, 2]), gram: false),
                            #"{"model":"m1","field":"text","separator":"\n\n","tokens":[1,2],"count":128,"windowSize":1024,"seed":0,"blockMetric":"angular","gram":false}"#)
        try expectRoundTrip(
            CalibrateParams(model: "m1", input: TextInput(windows: [[1, 2], [3, 4]])),
            #"{"model":"m1","field":"text","separator":"\n\n","windows":[[1,2],[3,4]],"count":128,"windowSize":1024,"seed":0,"blockMetric":"angular","gram":true}"#)
    }

    @Test("evaluate, export, finetune, model/load and the calibration files")
    func otherParams() throws {
        try expectRoundTrip(
            EvaluateParams(model: "m2", input: TextInput(tokens: [1, 2, 3]), windowSize: 16, maxWindows: 2),
            #"{"model":"m2","field":"text","separator":"\n\n","tokens":[1,2,3],"windowSize":16,"maxWindows":2}"#)
        try expectRoundTrip(
            ExportParams(model: "m2", format: .hf, path: "/out/m2", precision: .bf16, overwrite: true, name: "pruned"),
            #"{"model":"m2","format":"hf","path":"/out/m2","precision":"bf16","overwrite":true,"name":"pruned"}"#)
        #expect(try ExportParams.decode(wire: json(#"{"model":"m2","format":"gguf","path":"/o.gguf"}"#))
            == ExportParams(model: "m2", format: .gguf, path: "/o.gguf"))
        var finetune = FinetuneParams(model: "m2", input: TextInput(text: "the quick brown fox"), steps: 3)
        finetune.options.learningRate = 1e-3
        finetune.options.clipNorm = 0.5
        finetune.options.seed = 9
        finetune.options.frozenPrecision = .bf16
        finetune.options.timeBudgetSeconds = 60
        finetune.calibration = "c1"
        try expectRoundTrip(finetune, """
            {"model":"m2","text":"the quick brown fox","field":"text","separator":"\\n\\n","steps":3,"batchSize":1,
             "gradientAccumulation":1,"sequenceLength":256,"learningRate":0.001,"loraPlusRatio":1,"warmupSteps":0,
             "weightDecay":0,"clipNorm":0.5,"rank":8,"minRank":1,"maxRank":64,"allocation":"importance","gamma":1,"seed":9,
             "frozenPrecision":"bf16","timeBudgetSeconds":60,"objective":"language-model","distillationTemperature":1,
             "distillationLmWeight":0,"calibration":"c1","blockMetric":"angular"}
            """)
        var distill = FinetuneParams(model: "m2", input: TextInput(text: "x"), steps: 4)
        distill.options.allocation = .uniform
        distill.options.objective = .distillation
        distill.options.distillationTemperature = 2
        distill.options.distillationLMWeight = 0.25
        distill.options.loraPlusRatio = 4
        distill.teacher = "m1"
        try expectRoundTrip(distill, """
            {"model":"m2","text":"x","field":"text","separator":"\\n\\n","steps":4,"batchSize":1,
             "gradientAccumulation":1,"sequenceLength":256,"learningRate":0.0002,"loraPlusRatio":4,"warmupSteps":0,
             "weightDecay":0,"clipNorm":1,"rank":8,"minRank":1,"maxRank":64,"allocation":"uniform","gamma":1,"seed":0,
             "objective":"distillation","distillationTemperature":2,"distillationLmWeight":0.25,
             "blockMetric":"angular","teacher":"m1"}
            """)
        let badObjective = try? FinetuneParams.decode(wire: json(#"{"model":"m2","text":"x","steps":3,"objective":"kd"}"#))
        #expect(badObjective == nil, "an unknown objective is refused")
        let badWeight = try? FinetuneParams.decode(
            wire: json(#"{"model":"m2","text":"x","steps":3,"distillationLmWeight":2}"#))
        #expect(badWeight == nil, "an LM weight outside 0...1 is refused")
        let badRatio = try? FinetuneParams.decode(wire: json(#"{"model":"m2","text":"x","steps":3,"loraPlusRatio":0}"#))
        #expect(badRatio == nil, "a LoRA+ ratio must be positive")
        let defaults = try FinetuneParams.decode(wire: json(#"{"model":"m2","text":"x","steps":3}"#))
        #expect(defaults.options == FineTuneOptions(steps: 3), "FineTuneOptions' defaults, clip norm 1 included")
        try expectRoundTrip(LoadModelParams(path: "/m.gguf", precision: .bf16), #"{"path":"/m.gguf","precision":"bf16"}"#)
        try expectRoundTrip(SaveCalibrationParams(calibration: "c1", path: "/c.json"),
                            #"{"calibration":"c1","path":"/c.json","overwrite":false}"#)
        try expectRoundTrip(LoadCalibrationParams(path: "/c.json", model: "m1"), #"{"path":"/c.json","model":"m1"}"#)
        try expectRoundTrip(ModelHandleParams(model: "m1"), #"{"model":"m1"}"#)
        try expectRoundTrip(CalibrationHandleParams(calibration: "c2"), #"{"calibration":"c2"}"#)
    }

    @Test("a negative seed keeps its bit pattern in FineTuneOptions' UInt64")
    func negativeSeed() throws {
        let params = try FinetuneParams.decode(wire: json(#"{"model":"m1","text":"x","steps":1,"seed":-1}"#))
        #expect(params.options.seed == UInt64.max)
        #expect(params.wireMembers["seed"] == -1)
    }
}

/// Golden JSON of the results, as the daemon sends them and clients read them.
@Suite("Results and progress: golden JSON round trips")
struct ResultCodingTests {
    @Test("model/load: ModelInfo with an explicit null parent, and the model list")
    func modelInfo() throws {
        let model = try LlamaModel.random(
            config: LlamaConfig.tiny(layers: 2, hidden: 8, heads: 2, kvHeads: 1, ffn: 12, vocab: 16, context: 32), seed: 1)
        let info = ModelInfo(handle: "m1", path: "/m.gguf", format: .gguf, model: model, hasTokenizer: false, parent: nil)
        let config = """
            {"layers":2,"hiddenSize":8,"heads":2,"kvHeads":1,"headDim":4,"vocabSize":16,"contextLength":32,
             "ropeTheta":\(Double(model.config.ropeTheta)),"rmsNormEps":\(Double(model.config.rmsNormEps)),
             "tieWordEmbeddings":\(model.config.tieWordEmbeddings),"intermediateSizes":[12,12]}
            """
        let text = """
            {"model":"m1","path":"/m.gguf","format":"gguf","architecture":"llama","precision":"f32","config":\(config),
             "parameters":\(model.parameterCount),"ffnParameters":\(model.ffnParameterCount),"hasTokenizer":false,"parent":null,
             "bosToken":null,"eosToken":null,"addsBos":false}
            """
        try expectRoundTrip(info, text)
        let withTokenizer = ModelInfo(handle: "m1", path: "/m.gguf", format: .gguf, model: model, hasTokenizer: true,
                                      parent: nil, bosToken: 2, eosToken: 3, addsBos: true)
        let wire = withTokenizer.wireMembers
        #expect(wire["bosToken"] == 2 && wire["eosToken"] == 3 && wire["addsBos"] == true)
        #expect(try ModelInfo.decode(wire: .object(wire)) == withTokenizer)
        try expectRoundTrip(ModelList(models: [info]), #"{"models":[\#(text)]}"#)
        try expectRoundTrip(UnloadedModel(model: "m1"), #"{"model":"m1","unloaded":true}"#)
    }

    @Test("calibrate: CalibrationInfo sends its throughput and per-token importance, derived on both sides")
    func calibrationInfo() throws {
        var statistics = CalibrationStatistics(widths: [4, 4], hiddenSize: 8)
        statistics.windows = 2
        statistics.windowSize = 8
        statistics.tokens = 16
        statistics.blocks[0].angularSum = 4
        statistics.blocks[1].angularSum = 2
        let info = CalibrationInfo(handle: "c1", model: "m1", statistics: statistics, seconds: 2, metric: .angular)
        try expectRoundTrip(info, """
            {"calibration":"c1","model":"m1","windows":2,"windowSize":8,"tokens":16,"seconds":2,"tokensPerSecond":8,
             "blockMetric":"angular","importance":[4,2],"meanImportance":[0.25,0.125],"gram":false}
            """)
        try expectRoundTrip(SavedCalibration(calibration: "c1", path: "/c.json", bytes: 10),
                            #"{"calibration":"c1","path":"/c.json","bytes":10}"#)
        try expectRoundTrip(ReleasedCalibration(calibration: "c1"), #"{"calibration":"c1","released":true}"#)
    }

    @Test("score and prune: one block table, prune's result is score's plus the new model")
    func pruningResults() throws {
        var options = PruningOptions(sparsity: 0.5)
        options.align = 2
        let plan = PruningPlan(options: options, blocks: [
            BlockDecision(block: 0, importance: 2, meanImportance: 0.5, keepRatio: 0.75, width: 8, keptCount: 6,
                          threshold: 0.25, kept: [0, 1, 2, 3, 4, 5]),
            BlockDecision(block: 1, importance: 1, meanImportance: 0.25, keepRatio: 0.25, width: 8, keptCount: 2,
                          threshold: .infinity, kept: [0, 1]),
        ])
        let score = ScoreResult(model: "m1", calibration: "c1", plan: plan)
        let optionsText = """
            {"sparsity":0.5,"method":"cfsp","blockMetric":"angular","temperature":1,"scale":10000,"budgetRule":"per-token",
             "downExponent":1,"activationExponent":1,"align":2,"uniformWidths":false,"damping":0.01,"structures":["ffn"],
             "target":"ffn-sparsity"}
            """
        let blocks = """
            [{"block":0,"importance":2,"meanImportance":0.5,"keepRatio":0.75,"width":8,"kept":6,"threshold":0.25},
             {"block":1,"importance":1,"meanImportance":0.25,"keepRatio":0.25,"width":8,"kept":2,"threshold":0}]
            """
        try expectRoundTrip(score, """
            {"model":"m1","calibration":"c1","options":\(optionsText),"keptNeurons":8,"totalNeurons":16,
             "achievedSparsity":0.5,"blocks":\(blocks)}
            """)
        var prune = try PruneResult.decode(wire: json("""
            {"model":"m1","calibration":"c1","options":\(optionsText),"keptNeurons":8,"totalNeurons":16,
             "achievedSparsity":0.5,"blocks":\(blocks),"pruned":"m2","widths":[6,2],"heads":[4,4],"parametersBefore":100,
             "parametersAfter":75,"ffnParametersBefore":48,"ffnParametersAfter":24,"shareRemoved":0.25,"seconds":0.5}
            """))
        #expect(prune.score == score)
        #expect(prune.blocks.map(\.kept) == [6, 2], "the score's members read through the result")
        #expect(prune.shareRemoved == 0.25)
        prune.parametersAfter = 50
        #expect(prune.wireMembers["shareRemoved"] == 0.5, "derived members follow the stored ones")
    }

    @Test("evaluate wraps Core's PerplexityResult; export and finetune results")
    func otherResults() throws {
        let evaluation = PerplexityResult(perplexity: 17.5, meanNegativeLogLikelihood: 2.5, windows: 4, windowSize: 16,
                                          scoredTokens: 60, seconds: 0.5)
        try expectRoundTrip(EvaluateResult(model: "m2", evaluation: evaluation), """
            {"model":"m2","perplexity":17.5,"meanNegativeLogLikelihood":2.5,"windows":4,"windowSize":16,
             "scoredTokens":60,"seconds":0.5,"tokensPerSecond":128}
            """)
        try expectRoundTrip(
            ExportResult(model: "m2", format: .gguf, path: "/o.gguf", precision: .q4_k_m, bytes: 99, hasTokenizer: true,
                         notes: ["written as deci"],
                         tensorTypes: [TensorTypeTally(type: "Q4_K", tensors: 3, bytes: 72), TensorTypeTally(type: "F32", tensors: 2, bytes: 8)]),
            #"{"model":"m2","format":"gguf","path":"/o.gguf","precision":"q4_k_m","bytes":99,"hasTokenizer":true,"notes":["written as deci"],"tensorTypes":[{"type":"Q4_K","tensors":3,"bytes":72},{"type":"F32","tensors":2,"bytes":8}],"tensors":5}"#)
        let finetune = try FinetuneResult.decode(wire: json("""
            {"model":"m2","finetuned":"m3","ranks":[4,2],"trainableParameters":300,"lossCurve":[3.5,3.25],
             "stepsCompleted":2,"stepsPlanned":2,"cancelled":false,"stoppedByTimeBudget":false,"tokensTrained":64,
             "seconds":1.5,"summary":"completed 2 steps; adapters merged"}
            """))
        #expect(finetune.finetuned == "m3" && finetune.lossCurve == [3.5, 3.25])
        try expectRoundTrip(finetune, String(decoding: finetune.wireJSON.serialized(), as: UTF8.self))
    }

    @Test("progress reports carry Core's progress under the protocol's names")
    func progressReports() throws {
        let calibration = CalibrateProgress(CalibrationProgress(windowsDone: 3, windowsTotal: 8, tokensPerSecond: 100))
        try expectRoundTrip(calibration, #"{"window":3,"windows":8,"tokensPerSecond":100}"#)
        let evaluation = EvaluateProgress(PerplexityProgress(windowsDone: 1, windowsTotal: 2, tokensPerSecond: 50,
                                                             runningPerplexity: 9.5))
        try expectRoundTrip(evaluation, #"{"window":1,"windows":2,"tokensPerSecond":50,"perplexity":9.5}"#)
    }

    @Test("capabilities list every enum's accepted values under the protocol's names")
    func capabilities() throws {
        let members = DaemonCapabilities().wireMembers
        #expect(members["pruningMethods"] == .array(PruningMethod.allCases.map { .string($0.rawValue) }))
        #expect(members["loadPrecisions"] == ["f32", "bf16", "native"])
        #expect(members["exportPrecisions"] == .array(ExportPrecision.allCases.map { .string($0.rawValue) }))
        #expect(members["rankAllocations"] == ["importance", "pruned", "uniform"])
        #expect(members["budgetRules"] == ["per-token", "paper"])
        #expect(members["compensations"] == ["none", "least-squares", "obs"])
        #expect(Set(members.keys) == Set(DaemonCapabilities.members.map(\.name)))
    }

    @Test("every method has a unique name; names, params and results are listed once")
    func registry() {
        let names = ProtocolMethods.descriptions.map(\.method)
        #expect(Set(names).count == names.count)
        #expect(names == ["model/load", "model/list", "model/describe", "model/unload", "calibrate",
                          "calibration/save", "calibration/load", "calibration/merge", "calibration/release", "score", "prune",
                          "finetune", "evaluate", "export", "run", "sweep", "generate", "tokenize", "detokenize",
                          "loglikelihood"])
    }

    @Test("loglikelihood: requests of token ids, a score per request, contexts of at least one token")
    func logLikelihood() throws {
        let params = try LogLikelihoodParams.decode(wire: ["model": "m1", "requests": [["context": [1, 2], "continuation": [3]]]])
        #expect(params.requests == [ContinuationRequest(context: [1, 2], continuation: [3])])
        #expect(throws: WireError.self) { try LogLikelihoodParams.decode(wire: ["model": "m1", "requests": []]) }
        #expect(throws: WireError.self) {
            try LogLikelihoodParams.decode(wire: ["model": "m1", "requests": [["context": [], "continuation": [3]]]])
        }
        #expect(throws: WireError.self) {
            try LogLikelihoodParams.decode(wire: ["model": "m1", "requests": [["context": [-1], "continuation": [3]]]])
        }
        try expectRoundTrip(
            LogLikelihoodResult(model: "m1", scores: [ContinuationScore(logLikelihood: -1.5, isGreedy: true, tokens: 2, truncatedTokens: 0)],
                                tokens: 4, seconds: 0.5),
            #"{"model":"m1","scores":[{"logLikelihood":-1.5,"isGreedy":true,"tokens":2,"truncatedTokens":0}],"tokens":4,"seconds":0.5,"tokensPerSecond":8}"#)
    }

    @Test("generate's params: one prompt, Core's defaults, the template rules, ranges by name")
    func generateParams() throws {
        let plain = try GenerateParams.decode(wire: ["model": "m1", "text": "hi"])
        #expect(plain.options == GenerationOptions() && !plain.usesChatTemplate)
        let chat = try GenerateParams.decode(wire: ["model": "m1", "messages": [["role": "user", "content": "hi"]],
                                                    "maxTokens": 5, "stop": ["\n"], "stopTokens": [2], "seed": 9])
        #expect(chat.usesChatTemplate && chat.messages == [ChatMessage(role: "user", content: "hi")])
        #expect(chat.options == GenerationOptions(maxTokens: 5, seed: 9, stopStrings: ["\n"], stopTokens: [2]))
        for (params, words) in [
            (["model": "m1"] as JSONValue, "none was given"),
            (["model": "m1", "text": "a", "tokens": [1]], "got 'text' and 'tokens'"),
            (["model": "m1", "messages": [["role": "user", "content": "a"]], "chatTemplate": false], "always rendered"),
            (["model": "m1", "tokens": [1], "chatTemplate": true], "used as they are"),
            (["model": "m1", "text": "a", "topP": 0], "topP"),
            (["model": "m1", "text": "a", "maxTokens": 0], "maxTokens"),
        ] {
            #expect(throws: WireError.self, "\(words)") { try GenerateParams.decode(wire: params) }
            do { _ = try GenerateParams.decode(wire: params) } catch { #expect(error.message.contains(words), "\(error.message)") }
        }
    }
}
