import RPC

extension ProgressReporter {
    /// Reports `progress`, a method's typed report, with a message and a percentage (every one
    /// of them with `everyOne`, else at most one per interval).
    @discardableResult
    public func report<Progress: WireObject>(_ progress: Progress, message: String? = nil, percentage: Double? = nil,
                                             everyOne: Bool = false) -> Bool
    {
        report(message: message, percentage: percentage, fields: progress.wireMembers, everyOne: everyOne)
    }
}
