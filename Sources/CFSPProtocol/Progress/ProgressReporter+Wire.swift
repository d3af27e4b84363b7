import RPC

extension ProgressReporter {
    /// Reports `progress`, a method's typed report, with a message and a percentage (every one
    /// of them with `always`, else at most one per interval, the latest unwritten one kept).
    @discardableResult
    public func report<Progress: WireObject>(_ progress: Progress, message: String? = nil, percentage: Double? = nil,
                                             always: Bool = false) -> Bool
    {
        report(message: message, percentage: percentage, fields: progress.wireMembers, always: always)
    }
}
