import Foundation
import RPC
import Testing
import TestSupport

@Suite("JSON text")
struct JSONTextTests {
    /// Converts Foundation's JSONSerialization output (the independent reference) to JSONValue.
    private func reference(_ object: Any) -> JSONValue? {
        switch object {
        case is NSNull: return .null
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
            let double = number.doubleValue
            if let exact = Int(exactly: double), !String(describing: number).contains(".") { return .int(exact) }
            return .double(double)
        case let text as String: return .string(text)
        case let array as [Any]:
            let elements = array.compactMap(reference)
            return elements.count == array.count ? .array(elements) : nil
        case let dictionary as [String: Any]:
            var members: [String: JSONValue] = [:]
            for (key, value) in dictionary {
                guard let converted = reference(value) else { return nil }
                members[key] = converted
            }
            return .object(members)
        default: return nil
        }
    }

    @Test("serialized seeded values parse identically with Foundation's JSONSerialization")
    func matchesFoundation() throws {
        var random = TestRandom(seed: 2024)
        for _ in 0..<300 {
            let value: JSONValue = ["v": random.json(depth: 3)]
            let text = value.serialized()
            let parsed = try JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed])
            #expect(reference(parsed) == value, "\(String(decoding: text, as: UTF8.self))")
            #expect(try JSONValue(parsing: text) == value)
        }
    }

    @Test("escapes, surrogate pairs and numbers parse as the JSON specification says")
    func specialCases() throws {
        let text = #"{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude42","n":[-0,1e2,-1.25,12345678901234567890]}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["s"] == .string("a\"b\\c/d\u{8}\u{c}\n\r\té🙂"))
        #expect(value["n"] == [0, 100, -1.25, .double(1.2345678901234567e19)])
        #expect(String(decoding: JSONValue.string("\u{1}\n").serialized(), as: UTF8.self) == #""\u0001\n""#)
        #expect(String(decoding: JSONValue.double(2).serialized(), as: UTF8.self) == "2.0")
        #expect(JSONValue.double(.infinity).serialized() == Array("null".utf8))
    }

    @Test("malformed text is rejected with an offset, never a crash", arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "tru", "[1] 2", "\"a\u{1}\"", "{\"a\":}",
    ])
    func rejects(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    /// Found by fuzz/ (harness json): `1e400` parsed as infinity, a value no JSON text can
    /// carry (it serialized as `null`), so a hostile number reached handlers as `.double(inf)`.
    @Test("numbers beyond the range of a double are rejected, not read as infinity", arguments: [
        "1e400", "-1e400", "[2" + String(repeating: "1", count: 400) + "]", "{\"x\":1.5e309}",
    ])
    func rejectsOverflowingNumbers(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    /// Found by fuzz/ (harness json): a double of 1e15 or more without a fraction was written as
    /// `1e+16`, which reads back as the integer 10000000000000000, not the double it was.
    @Test("large whole doubles stay doubles through serialize and parse", arguments: [1e16, -1e15, 1e300, Double.leastNonzeroMagnitude, 1.5e20])
    func largeDoublesRoundTrip(number: Double) throws {
        let text = JSONValue.double(number).serialized()
        #expect(try JSONValue(parsing: text) == .double(number), "\(String(decoding: text, as: UTF8.self))")
    }

    @Test("deep nesting and invalid UTF-8 are rejected")
    func hostileInput() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: Array(deep.utf8)) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: [34, 0xFF, 0xFE, 34]) }
        let nested = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONValue(parsing: Array(nested.utf8))) != nil)
    }
}
