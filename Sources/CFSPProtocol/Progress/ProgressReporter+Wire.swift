import RPC

extension ProgressReporter {
    /// Reports `progress`, a method's typed report, with a message and a percentage.
    @discardableResult
    public func report<Progress: WireObject>(_ progress: Progress, message: String? = nil, percentage: Double? = nil)
        -> Bool
    {
        report(message: message, percentage: percentage, fields: progress.wireMembers)
    }
}
