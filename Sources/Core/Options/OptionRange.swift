/// The values a numeric option accepts: an optional lower and upper bound, each inclusive or
/// exclusive. Each option's range is defined once, next to its default, and read by Core's own
/// checks, by the protocol's params decoding and schema, and by the CLI's help, so the four
/// can never disagree.
public struct OptionRange: Sendable, Equatable, CustomStringConvertible {
    /// One end of a range.
    public enum Bound: Sendable, Equatable {
        /// The value itself belongs to the range.
        case inclusive(Double)
        /// Values up to (but excluding) this one belong to the range.
        case exclusive(Double)

        /// The number at this end.
        public var value: Double {
            switch self {
            case .inclusive(let value), .exclusive(let value): value
            }
        }
    }

    /// The smallest accepted value, or nil for no lower limit.
    public var lower: Bound?
    /// The largest accepted value, or nil for no upper limit.
    public var upper: Bound?

    /// A range from its two ends (nil: unbounded on that side).
    public init(lower: Bound?, upper: Bound?) {
        self.lower = lower
        self.upper = upper
    }

    /// Every number (options without a limit).
    public static let unbounded = OptionRange(lower: nil, upper: nil)
    /// `value` or more.
    public static func atLeast(_ value: Double) -> OptionRange { OptionRange(lower: .inclusive(value), upper: nil) }
    /// More than `value`.
    public static func greaterThan(_ value: Double) -> OptionRange { OptionRange(lower: .exclusive(value), upper: nil) }
    /// [lower, upper): from `lower` up to but excluding `upper`.
    public static func halfOpen(_ lower: Double, _ upper: Double) -> OptionRange {
        OptionRange(lower: .inclusive(lower), upper: .exclusive(upper))
    }
    /// [lower, upper]: both ends included.
    public static func closed(_ lower: Double, _ upper: Double) -> OptionRange {
        OptionRange(lower: .inclusive(lower), upper: .inclusive(upper))
    }

    /// Whether `value` lies in the range (NaN never does).
    public func contains(_ value: Double) -> Bool {
        if value.isNaN { return false }
        switch lower {
        case .inclusive(let bound)? where value < bound: return false
        case .exclusive(let bound)? where value <= bound: return false
        default: break
        }
        switch upper {
        case .inclusive(let bound)? where value > bound: return false
        case .exclusive(let bound)? where value >= bound: return false
        default: return true
        }
    }

    /// Whether the integer `value` lies in the range.
    public func contains(_ value: Int) -> Bool { contains(Double(value)) }

    /// The range in words, to follow "must be": `in [0, 1)`, `at least 1`, `greater than 0`,
    /// `at most 100`, `any number`.
    public var description: String {
        func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
        }
        switch (lower, upper) {
        case (nil, nil): return "any number"
        case (let lower?, nil):
            return lower == .inclusive(lower.value) ? "at least \(number(lower.value))" : "greater than \(number(lower.value))"
        case (nil, let upper?):
            return upper == .inclusive(upper.value) ? "at most \(number(upper.value))" : "less than \(number(upper.value))"
        case (let lower?, let upper?):
            let open = lower == .inclusive(lower.value) ? "[" : "("
            let close = upper == .inclusive(upper.value) ? "]" : ")"
            return "in \(open)\(number(lower.value)), \(number(upper.value))\(close)"
        }
    }

    /// "`name` must be RANGE, got VALUE" when `value` is outside the range, else nil: the
    /// sentence Core's option checks throw.
    public func violation(_ name: String, _ value: Double) -> String? {
        contains(value) ? nil : "\(name) must be \(self), got \(value)"
    }

    /// "`name` must be RANGE, got VALUE" when the integer `value` is outside the range, else nil.
    public func violation(_ name: String, _ value: Int) -> String? {
        contains(value) ? nil : "\(name) must be \(self), got \(value)"
    }
}
