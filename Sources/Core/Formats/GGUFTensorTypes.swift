/// ggml's numbering and block layout of the tensor types cfsp reads.
extension TensorType {
    /// The ggml type id GGUF files store for this type.
    public var ggmlTypeID: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q5_0: 6
        case .q5_1: 7
        case .q8_0: 8
        case .q4_K: 12
        case .q5_K: 13
        case .q6_K: 14
        case .bf16: 30
        }
    }

    /// The type with ggml id `id`, or nil if cfsp does not read it.
    public init?(ggmlTypeID id: UInt32) {
        guard let type = TensorType.allCases.first(where: { $0.ggmlTypeID == id }) else { return nil }
        self = type
    }

    /// Values per block (1 for the dense float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1: 32
        case .q4_K, .q5_K, .q6_K: 256
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q8_0: 34
        case .q4_0: 18
        case .q4_1: 20
        case .q5_0: 22
        case .q5_1: 24
        case .q4_K: 144
        case .q5_K: 176
        case .q6_K: 210
        }
    }

    /// Bytes that `count` values of this type occupy, or nil if `count` is not a whole number of
    /// blocks or the size overflows.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }
}

/// Names of the ggml types cfsp knows of but does not read, for error messages.
enum GGMLTypeNames {
    static func name(of id: UInt32) -> String? {
        let names: [UInt32: String] = [
            9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 15: "Q8_K", 16: "IQ2_XXS",
            17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
            23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
            34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
        ]
        return names[id]
    }
}
