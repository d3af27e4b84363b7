import RPC
import Testing
import TestSupport

@Suite("Messages")
struct MessageTests {
    private func decode(_ text: String) -> Result<Message, InvalidMessage> {
        Message.decode(Array(text.utf8))
    }

    @Test("requests, notifications and responses decode with integer and string ids")
    func validMessages() throws {
        #expect(try decode(#"{"jsonrpc":"2.0","id":7,"method":"m","params":{"x":1}}"#).get()
            == .request(RequestMessage(id: .int(7), method: "m", params: ["x": 1])))
        #expect(try decode(#"{"jsonrpc":"2.0","id":"abc","method":"m"}"#).get()
            == .request(RequestMessage(id: .string("abc"), method: "m")))
        #expect(try decode(#"{"jsonrpc":"2.0","method":"n","params":[1,2]}"#).get()
            == .notification(NotificationMessage(method: "n", params: [1, 2])))
        #expect(try decode(#"{"jsonrpc":"2.0","id":3,"result":null}"#).get()
            == .response(ResponseMessage(id: .int(3), result: .success(.null))))
        #expect(try decode(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#).get()
            == .response(ResponseMessage(id: nil, result: .failure(ResponseError(code: -32700, message: "bad")))))
    }

    @Test("serialized messages match the JSON-RPC 2.0 shapes")
    func serialization() {
        let request = Message.request(RequestMessage(id: .string("r1"), method: "m", params: ["a": [true, nil]]))
        #expect(String(decoding: request.serialized(), as: UTF8.self)
            == #"{"id":"r1","jsonrpc":"2.0","method":"m","params":{"a":[true,null]}}"#)
        let error = Message.response(ResponseMessage(id: .int(1), result: .failure(.serverNotInitialized)))
        let json = error.jsonValue
        #expect(json["error"]?["code"] == .int(-32002))
        #expect(json["id"] == .int(1))
        #expect(json["result"] == nil)
    }

    @Test("batches, bad JSON and malformed objects map to the right codes")
    func invalidMessages() {
        func failure(_ text: String) -> InvalidMessage? {
            if case .failure(let invalid) = decode(text) { return invalid }
            return nil
        }
        let batch = failure(#"[{"jsonrpc":"2.0","id":1,"method":"m"}]"#)
        #expect(batch?.error.code == -32600)
        #expect(batch?.error.message.contains("batches are not supported") == true)
        #expect(failure("{not json")?.error.code == -32700)
        #expect(failure(#"{"id":1,"method":"m"}"#)?.error.code == -32600)
        #expect(failure(#"{"id":1,"method":"m"}"#)?.id == .int(1))
        #expect(failure(#"{"jsonrpc":"2.0","id":true,"method":"m"}"#)?.error.code == -32600)
        #expect(failure(#"{"jsonrpc":"2.0","id":1,"method":5}"#)?.error.code == -32600)
        #expect(failure(#"{"jsonrpc":"2.0","id":1,"method":"m","params":3}"#)?.error.code == -32600)
        #expect(failure(#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#)?.looksLikeResponse == true)
        #expect(failure("42")?.error.code == -32600)
    }

    @Test("JSONValue round-trips seeded random values and typed Codable values")
    func jsonRoundTrip() throws {
        var random = TestRandom(seed: 7)
        for _ in 0..<300 {
            let value = random.json(depth: 3)
            #expect(try JSONValue(parsing: value.serialized()) == value)
        }
        let params = EchoRequest.Params(text: "hi", count: 2)
        let json = try JSONValue(encoding: params)
        #expect(json == ["text": "hi", "count": 2])
        #expect(try json.decode(EchoRequest.Params.self).count == 2)
        #expect(try JSONValue(parsing: Array("9007199254740993".utf8)) == .int(9_007_199_254_740_993))
        #expect(try JSONValue(parsing: Array("1.5e3".utf8)).intValue == 1500)
        #expect(try JSONValue(parsing: Array("0.25".utf8)) == .double(0.25))
    }

    @Test("progress values have LSP shapes with method-specific report fields")
    func progressShapes() {
        let report = ProgressValue.report(message: "m", percentage: 40, fields: ["window": 3])
        #expect(report.jsonValue == ["kind": "report", "message": "m", "percentage": 40, "window": 3])
        let end = ProgressValue.end(message: nil, outcome: .cancelled)
        #expect(end.jsonValue == ["kind": "end", "outcome": "cancelled"])
        let note = ProgressValue.begin(title: "t", message: nil, percentage: 0).notification(token: .string("tok"))
        #expect(note.method == "$/progress")
        #expect(note.params?["token"] == "tok")
        #expect(note.params?["value"]?["kind"] == "begin")
    }
}
