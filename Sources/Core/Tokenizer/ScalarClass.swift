/// The character classes the pre-tokenizer patterns distinguish, as Python's `regex` (and the
/// Oniguruma engine of Hugging Face `tokenizers`) define them.
///
/// - letter: `\p{L}` (general categories Lu, Ll, Lt, Lm, Lo)
/// - number: `\p{N}` (Nd, Nl, No)
/// - whitespace: `\s` (the Unicode White_Space property)
/// - other: everything else (`[^\s\p{L}\p{N}]`)
enum ScalarClass: UInt8, Sendable {
    case letter
    case number
    case whitespace
    case other

    /// The class of one scalar; ASCII goes through a table because it dominates real text.
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 128 { return asciiTable[Int(value)] }
        return classify(scalar)
    }

    /// The classes of every scalar of `scalars`, computed once per encode call.
    static func classes(of scalars: [Unicode.Scalar]) -> [ScalarClass] {
        scalars.map { of($0) }
    }

    private static let asciiTable: [ScalarClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return properties.isWhitespace ? .whitespace : .other
        }
    }
}
