import Core
import RPC

/// Limits a member puts on its value: the range of a number (or of an array's numbers) and the
/// kind of a string. Values ignore what does not apply to them.
public struct WireConstraints: Sendable {
    /// Accepted numbers.
    public var range: OptionRange
    /// What a string holds.
    public var string: StringKind

    /// Constraints of a member.
    public init(range: OptionRange = .unbounded, string: StringKind = .plain) {
        self.range = range
        self.string = string
    }
}

/// A value that travels as JSON: how it is written, how it is read (with errors naming the
/// member), and its shape for the schema.
public protocol WireValue: Sendable {
    /// The shape of this value under `constraints`.
    static func wireType(_ constraints: WireConstraints) -> WireType
    /// The value as JSON.
    var wireJSON: JSONValue { get }
    /// Reads the value at member path `path`, refusing what `constraints` exclude.
    static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Self
}

extension Int: WireValue {
    /// An integer within the constraint's range.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .integer(constraints.range) }
    /// The integer.
    public var wireJSON: JSONValue { .int(self) }
    /// Reads an integer (an integral double such as `2.0` too); fractions, numbers beyond 64
    /// bits and numbers out of range are refused naming the range.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Int {
        let range = constraints.range
        let value: Int
        switch json {
        case .int(let integer): value = integer
        case .double(let double):
            try requireFinite(double, at: path)
            guard let integer = Int(exactly: double) else {
                let what = range == .unbounded ? "an integer from \(Int.min) to \(Int.max)" : "an integer \(range)"
                throw WireError(member: path, message: "'\(path)' must be \(what), not \(double)",
                                details: range.schemaKeywords)
            }
            value = integer
        default: throw .wrongType(path, expected: "an integer", got: json)
        }
        guard range.contains(value) else { throw .outOfRange(path, "an integer", range, got: json) }
        return value
    }
}

extension UInt64: WireValue {
    /// Any 64-bit integer: seeds travel as JSON integers, negative ones as their bit pattern.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .integer(.unbounded) }
    /// The bit pattern as a signed integer.
    public var wireJSON: JSONValue { .int(Int(Int64(bitPattern: self))) }
    /// Reads a signed 64-bit integer and keeps its bit pattern.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> UInt64 {
        UInt64(bitPattern: Int64(try Int.read(json, at: path, WireConstraints())))
    }
}

extension Double: WireValue {
    /// A number within the constraint's range.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .number(constraints.range) }
    /// The number.
    public var wireJSON: JSONValue { .double(self) }
    /// Reads a finite number within the range.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Double {
        let value: Double
        switch json {
        case .int(let integer): value = Double(integer)
        case .double(let double): value = double
        default: throw .wrongType(path, expected: "a number", got: json)
        }
        try requireFinite(value, at: path)
        guard constraints.range.contains(value) else { throw .outOfRange(path, nil, constraints.range, got: json) }
        return value
    }
}

extension Float: WireValue {
    /// A number within the constraint's range that a 32-bit float holds.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .float32(constraints.range) }
    /// The number, written with the float's shortest decimal digits (2e-4, not 0.000199999994).
    public var wireJSON: JSONValue { .double(Double("\(self)") ?? Double(self)) }
    /// Reads a number within the range and within ±Float.greatestFiniteMagnitude.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Float {
        let value = try Double.read(json, at: path, WireConstraints(range: constraints.range))
        guard abs(value) <= Double(Float.greatestFiniteMagnitude) else {
            throw WireError(member: path,
                            message: "'\(path)' must be a number within ±\(Float.greatestFiniteMagnitude) (a 32-bit float), not \(value)",
                            details: ["minimum": .double(-Double(Float.greatestFiniteMagnitude)),
                                      "maximum": .double(Double(Float.greatestFiniteMagnitude))])
        }
        return Float(value)
    }
}

extension Bool: WireValue {
    /// true or false.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .boolean }
    /// The boolean.
    public var wireJSON: JSONValue { .bool(self) }
    /// Reads true or false.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Bool {
        guard case .bool(let value) = json else { throw .wrongType(path, expected: "true or false", got: json) }
        return value
    }
}

extension String: WireValue {
    /// A string of the constraint's kind.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .string(constraints.string) }
    /// The string.
    public var wireJSON: JSONValue { .string(self) }
    /// Reads a string; a path with a NUL is refused (the C file APIs would cut the name there).
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> String {
        guard case .string(let value) = json else { throw .wrongType(path, expected: "a string", got: json) }
        if constraints.string == .path, value.contains("\0") {
            throw WireError(member: path, message: "'\(path)' contains a NUL character, which no file name can hold")
        }
        return value
    }
}

extension Array: WireValue where Element: WireValue {
    /// An array whose elements follow the constraints.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .array(Element.wireType(constraints)) }
    /// The elements as a JSON array.
    public var wireJSON: JSONValue { .array(map(\.wireJSON)) }
    /// Reads every element; errors name the element (`tokens[3]`).
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> [Element] {
        guard case .array(let items) = json else { throw .wrongType(path, expected: "an array", got: json) }
        var result: [Element] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            result.append(try Element.read(item, at: "\(path)[\(index)]", constraints))
        }
        return result
    }
}

/// Refuses infinities, which is what JSON numbers beyond ±1.8e308 (`1e400`) parse to: they would
/// otherwise become null, and so the default.
func requireFinite(_ value: Double, at path: String) throws(WireError) {
    guard value.isFinite else {
        throw WireError(member: path,
                        message: "'\(path)' is not a finite number (JSON numbers must lie within ±\(Double.greatestFiniteMagnitude))")
    }
}

/// A string-valued enum that travels as its raw value; decoding errors list every accepted value.
public protocol WireEnum: WireValue, RawRepresentable, CaseIterable where RawValue == String {}

extension WireEnum {
    /// One of the raw values.
    public static func wireType(_ constraints: WireConstraints) -> WireType { .choice(acceptedValues) }
    /// The raw value.
    public var wireJSON: JSONValue { .string(rawValue) }
    /// Every accepted value, in declaration order.
    public static var acceptedValues: [String] { allCases.map(\.rawValue) }
    /// Reads one of the raw values, naming them all when the string is another.
    public static func read(_ json: JSONValue, at path: String, _ constraints: WireConstraints) throws(WireError) -> Self {
        guard case .string(let raw) = json else { throw .notOneOf(path, acceptedValues, got: json) }
        guard let value = Self(rawValue: raw) else { throw .notOneOf(path, acceptedValues, got: json) }
        return value
    }
}
