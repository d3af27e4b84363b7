/// The type ids of GGUF metadata values, as the specification numbers them.
public enum GGUFValueType: UInt32, Sendable, Equatable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12
}

/// One GGUF metadata value, typed exactly as the file stores it.
///
/// Keeping the stored type (instead of widening everything to Int/Double) lets a writer
/// reproduce the file; the accessors below give the widened views most callers want.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// An array and the type of its elements (kept so that empty arrays keep their type).
    case array(GGUFValueType, [GGUFValue])

    /// The stored type.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// Any integer value that fits in `Int`; nil for other types.
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// Any numeric value (integer or float) as `Double`; nil for bools, strings and arrays.
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: int.map(Double.init)
        }
    }

    /// Any numeric value as `Float` (f32 values exactly as stored).
    public var float: Float? {
        if case .float32(let v) = self { return v }
        return double.map(Float.init)
    }

    /// The value if it is a bool.
    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The value if it is a string.
    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// The elements if the value is an array.
    public var array: [GGUFValue]? {
        if case .array(_, let v) = self { return v }
        return nil
    }

    /// The elements if the value is an array of strings.
    public var stringArray: [String]? {
        guard case .array(let type, let items) = self, type == .string else { return nil }
        return items.compactMap(\.string)
    }

    /// The elements if the value is an array of integers that all fit in `Int`.
    public var intArray: [Int]? {
        guard let items = array else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let v = item.int else { return nil }
            result.append(v)
        }
        return result
    }

    /// The elements if the value is an array of numbers, as `Float`.
    public var floatArray: [Float]? {
        guard let items = array else { return nil }
        var result: [Float] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let v = item.float else { return nil }
            result.append(v)
        }
        return result
    }

    /// A short name of the stored type for error messages (`uint32`, `array of string`).
    public var typeDescription: String {
        if case .array(let type, _) = self { return "array of \(type)" }
        return "\(type)"
    }
}
