/// Largest |got - want| / (absolute + relative * |want|) over all elements; <= 1 means within
/// tolerance everywhere.
func opsWorstError(_ got: [Float], _ want: [Double], absolute: Double, relative: Double) -> Double {
    var worst = 0.0
    for (g, w) in zip(got, want) {
        let error = abs(Double(g) - w) / (absolute + relative * abs(w))
        if !(error <= worst) { worst = error.isNaN ? .infinity : error }
    }
    return got.count == want.count ? worst : .infinity
}
