import CFSPProtocol
import Core
import RPC
import Testing

/// What a client sees when params do not fit: the member, and the range or the accepted values,
/// in the message and in `data`.
@Suite("Params errors name the member and what it accepts")
struct ErrorMessageTests {
    @Test("an enum member lists every accepted value (--method wanda, --precision q8_0 on load, q3_k on export)")
    func enumValues() throws {
        let method = try #require(try decodingError(PruningParams.self,
                                                   #"{"model":"m1","calibration":"c1","sparsity":0.3,"method":"wanda"}"#))
        #expect(method.message == #"'method' must be one of "cfsp", "cfsp-ref", "activation", "wanda-sp", "magnitude-sp", "flap", not "wanda""#)
        #expect(method.details["accepted"] == .array(PruningMethod.allCases.map { .string($0.rawValue) }))
        let precision = try #require(try decodingError(ExportParams.self,
                                                      #"{"model":"m1","format":"gguf","path":"/o","precision":"q3_k"}"#))
        #expect(precision.message == #"'precision' must be one of "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", not "q3_k""#)
        let load = try #require(try decodingError(LoadModelParams.self, #"{"path":"/m","precision":"q8_0"}"#))
        #expect(load.message == #"'precision' must be one of "f32", "bf16", "native", not "q8_0""#)
        let format = try #require(try decodingError(EvaluateParams.self, #"{"model":"m1","path":"/t","format":"csv"}"#))
        #expect(format.message == #"'format' must be one of "text", "jsonl", not "csv""#)
        let number = try #require(try decodingError(PruningParams.self,
                                                   #"{"model":"m1","calibration":"c1","sparsity":0.3,"blockMetric":3}"#))
        #expect(number.message == #"'blockMetric' must be one of "angular", "cosine", "mse", "mae", not 3"#)
    }

    @Test("an hf export with a quantized precision is refused on 'precision', listing what hf accepts")
    func hfPrecision() throws {
        let error = try #require(try decodingError(ExportParams.self,
                                                  #"{"model":"m1","format":"hf","path":"/o","precision":"q4_k_m"}"#))
        #expect(error.member == "precision")
        #expect(error.message.hasPrefix(#"'precision' must be one of "f32", "f16", "bf16" for format "hf", not "q4_k_m""#))
        #expect(error.details["accepted"] == .array(["f32", "f16", "bf16"].map(JSONValue.string)))
        #expect(error.responseError(method: "export").code == -32602)
        #expect(try decodingError(ExportParams.self, #"{"model":"m1","format":"gguf","path":"/o","precision":"q4_k_m"}"#) == nil)
        #expect(try decodingError(ExportParams.self, #"{"model":"m1","format":"hf","path":"/o","precision":"bf16"}"#) == nil)
    }

    @Test("numbers out of range name the range, with the schema's keywords in data")
    func ranges() throws {
        for (value, text) in [("1.5", "1.5"), ("-0.1", "-0.1"), ("1", "1")] {
            let error = try #require(try decodingError(PruningParams.self,
                                                      #"{"model":"m1","calibration":"c1","sparsity":\#(value)}"#))
            #expect(error.message == "'sparsity' must be in [0, 1), not \(text)")
            #expect(error.member == "sparsity")
            #expect(error.details == ["minimum": 0, "exclusiveMaximum": 1])
        }
        let count = try #require(try decodingError(CalibrateParams.self, #"{"model":"m1","text":"a","count":0}"#))
        #expect(count.message == "'count' must be an integer at least 1, not 0")
        let fraction = try #require(try decodingError(CalibrateParams.self, #"{"model":"m1","text":"a","count":1.5}"#))
        #expect(fraction.message == "'count' must be an integer at least 1, not 1.5")
        let seed = try #require(try decodingError(CalibrateParams.self, #"{"model":"m1","text":"a","seed":1e300}"#))
        #expect(seed.message == "'seed' must be an integer from \(Int.min) to \(Int.max), not 1e+300")
        let scale = try #require(try decodingError(PruningParams.self,
                                                  #"{"model":"m1","calibration":"c1","sparsity":0.3,"scale":0}"#))
        #expect(scale.message == "'scale' must be greater than 0, not 0")
        let window = try #require(try decodingError(EvaluateParams.self, #"{"model":"m1","text":"a","windowSize":1}"#))
        #expect(window.message == "'windowSize' must be an integer at least 2, not 1")
        let rate = try #require(try decodingError(FinetuneParams.self, #"{"model":"m1","text":"a","steps":1,"learningRate":1e300}"#))
        #expect(rate.message.hasPrefix("'learningRate' must be a number within ±"), "\(rate.message)")
        let token = try #require(try decodingError(EvaluateParams.self, #"{"model":"m1","tokens":[3,-1]}"#))
        #expect(token.message == "'tokens[1]' must be an integer at least 0, not -1")
        #expect(token.member == "tokens[1]")
    }

    @Test("missing, null and mistyped members; exactly one text input; NUL in a path; infinities")
    func shapes() throws {
        #expect(try decodingError(PruningParams.self, #"{"model":"m1","calibration":"c1"}"#)?.message
            == "missing member 'sparsity'")
        #expect(try decodingError(PruningParams.self, #"{"model":null,"calibration":"c1","sparsity":0.3}"#)?.message
            == "'model' must be a string, not null")
        #expect(try decodingError(LoadModelParams.self, #"{"path":3}"#)?.message == "'path' must be a string, not 3")
        #expect(try decodingError(LoadModelParams.self, #"{"path":"/a\u0000b"}"#)?.message
            == "'path' contains a NUL character, which no file name can hold")
        #expect(try decodingError(EvaluateParams.self, #"{"model":"m1","text":"a","path":"/t"}"#)?.message
            == "give exactly one of 'text', 'path', 'tokens'; got 'text' and 'path'")
        #expect(try decodingError(CalibrateParams.self, #"{"model":"m1"}"#)?.message
            == "give exactly one of 'text', 'path', 'tokens', 'windows'; none was given")
        #expect(try decodingError(EvaluateParams.self, #"{"model":"m1","text":"a","windows":[[1]]}"#)?.message
            == "'windows' is accepted by calibrate only")
        // What a JSON number beyond ±1.8e308 (`1e400`) parses to: refused instead of taken as null.
        let beyond = JSONValue.object(["model": "m1", "text": "a", "count": .double(.infinity)])
        #expect(throws: WireError(member: "count", message: "'count' is not a finite number (JSON numbers must lie within ±\(Double.greatestFiniteMagnitude))")) {
            _ = try CalibrateParams.decode(wire: beyond)
        }
        #expect(try decodingError(EmptyObject.self, "[]")?.message == "'params' must be an object, not []")
        #expect(try decodingError(PruningParams.self,
                                  #"{"model":"m1","calibration":"c1","sparsity":0.3,"method":null,"workDoneToken":7}"#) == nil,
                "null is the default; unknown members are ignored")
    }

    @Test("the daemon answers -32602 with the method, the sentence and data.member")
    func responseError() throws {
        let error = try #require(try decodingError(PruningParams.self,
                                                  #"{"model":"m1","calibration":"c1","sparsity":2}"#))
        let response = error.responseError(method: ScoreRequest.method)
        #expect(response.code == -32602)
        #expect(response.message == "invalid params for 'score': 'sparsity' must be in [0, 1), not 2")
        #expect(response.data == ["member": "sparsity", "minimum": 0, "exclusiveMaximum": 1])
    }
}
