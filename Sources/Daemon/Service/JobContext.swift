import CFSPProtocol
import RPC

/// What a daemon job needs of the request it serves: whether it was cancelled, and a way to
/// report progress. A method's own request gives it directly (`init(_:)`); `run` gives each of
/// its stages one whose reports carry the stage and count toward the whole run (`stage(_:)`).
struct JobContext: Sendable {
    /// Cancelled by `$/cancelRequest`, disconnect or shutdown.
    let cancellation: CancellationToken
    private let startProgress: @Sendable (String) -> JobProgress

    /// The context of a request's own job.
    init(_ context: RequestContext) {
        cancellation = context.cancellation
        startProgress = { title in JobProgress(reporter: context.progress(title: title), stage: nil) }
    }

    private init(cancellation: CancellationToken, progress: JobProgress) {
        self.cancellation = cancellation
        startProgress = { _ in progress }
    }

    /// True once the request was cancelled.
    var isCancelled: Bool { cancellation.isCancelled }

    /// Throws -32800 when cancelled.
    func checkCancellation() throws(ResponseError) { try cancellation.checkCancellation() }

    /// The job's progress (`begin` is sent the first time, for a request's own job).
    func progress(title: String) -> JobProgress { startProgress(title) }

    /// The context of one stage of a job made of stages (`run`'s, `sweep`'s points): same
    /// cancellation, reports into the job's progress with `stage`'s members, announced at once
    /// (a client sees every stage begin, however short).
    func stage(_ stage: JobStage, of job: JobProgress) -> JobContext {
        let progress = JobProgress(reporter: job.reporter, stage: stage)
        progress.report(always: true)
        return JobContext(cancellation: cancellation, progress: progress)
    }
}

/// One stage of a job made of stages: its label (leading its messages), its number of how many
/// (its share of the job's percentage) and the report members that say which stage it is.
struct JobStage: Sendable {
    /// Leads every message of the stage (`calibrate: window 3/32`).
    let label: String
    /// The stage's number, from 1.
    let step: Int
    /// Stages in the job.
    let steps: Int
    /// Report members naming the stage (`stage`, `step`, `steps` for `run`).
    let fields: [String: JSONValue]

    /// A stage; `fields` are a typed report's members.
    init<Fields: WireObject>(label: String, step: Int, steps: Int, fields: Fields) {
        self.label = label
        self.step = step
        self.steps = steps
        self.fields = fields.wireMembers
    }
}

/// Progress of a job: the request's reporter, and for a stage of a job made of stages the stage,
/// which every report then carries (its members; messages start with its label; the percentage
/// is of the whole job).
struct JobProgress: Sendable {
    /// The request's reporter.
    let reporter: ProgressReporter
    /// The stage this job is, if it is one.
    let stage: JobStage?

    /// Reports `fields` (a method's report members) with a message and the job's own percentage.
    @discardableResult
    func report(message: String? = nil, percentage: Double? = nil, fields: [String: JSONValue] = [:],
                always: Bool = false) -> Bool {
        guard let stage else {
            return reporter.report(message: message, percentage: percentage, fields: fields, always: always)
        }
        let done = Double(stage.step - 1) + min(max(percentage ?? 0, 0), 100) / 100
        return reporter.report(message: message.map { "\(stage.label): \($0)" } ?? stage.label,
                               percentage: 100 * done / Double(stage.steps),
                               fields: fields.merging(stage.fields) { _, job in job }, always: always)
    }

    /// Reports `progress`, a method's typed report (each one with `always`: generated tokens).
    @discardableResult
    func report<Progress: WireObject>(_ progress: Progress, message: String? = nil, percentage: Double? = nil,
                                      always: Bool = false) -> Bool {
        report(message: message, percentage: percentage, fields: progress.wireMembers, always: always)
    }

    /// Sends `end` for a request's own job; a stage leaves that to its job.
    func end(message: String? = nil, outcome: ProgressOutcome = .completed) {
        guard stage == nil else { return }
        reporter.end(message: message, outcome: outcome)
    }
}
