/// `$/progress`: work-done progress for a request that carried a `workDoneToken` in its params.
public enum ProgressNotification {
    /// The JSON-RPC method name.
    public static let method = "$/progress"
}

/// How a job ended, sent in the `end` progress value.
public enum ProgressOutcome: String, Codable, Sendable, Hashable, CaseIterable {
    case completed
    case failed
    case cancelled
}

/// The `value` of a `$/progress` notification: `begin`, then any number of `report`, then `end`.
public enum ProgressValue: Sendable, Hashable {
    case begin(title: String, message: String?, percentage: Int?)
    /// `fields` carries method-specific members (window, tokens per second, block...).
    case report(message: String?, percentage: Int?, fields: [String: JSONValue])
    case end(message: String?, outcome: ProgressOutcome)

    /// The value as JSON, LSP-shaped (`kind`, `title`, `message`, `percentage`), plus `cancellable`
    /// on begin and `outcome` on end.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue]
        switch self {
        case .begin(let title, let message, let percentage):
            members = ["kind": "begin", "title": .string(title), "cancellable": true]
            if let message { members["message"] = .string(message) }
            if let percentage { members["percentage"] = .int(percentage) }
        case .report(let message, let percentage, let fields):
            members = fields
            members["kind"] = "report"
            if let message { members["message"] = .string(message) }
            if let percentage { members["percentage"] = .int(percentage) }
        case .end(let message, let outcome):
            members = ["kind": "end", "outcome": .string(outcome.rawValue)]
            if let message { members["message"] = .string(message) }
        }
        return .object(members)
    }

    /// The whole `$/progress` notification for `token`.
    public func notification(token: ProgressToken) -> NotificationMessage {
        NotificationMessage(method: ProgressNotification.method,
                            params: ["token": token.jsonValue, "value": jsonValue])
    }
}
