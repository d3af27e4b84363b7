extension Duration {
    /// The duration in seconds, for rates and timings (tokens/s, a stage's wall time).
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
