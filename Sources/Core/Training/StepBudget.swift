/// How many optimizer steps a wall-clock budget affords, planned from the steps timed so far.
///
/// The first step's time includes setting up the adapters (and the distillation buffers), so a
/// plan made from it alone leaves part of the budget unused (7 of 30 minutes in the distillation
/// run of bench/RESULTS.md, 2026-12-03); the plan is made again
/// from the mean time of the later steps after each of `checkpoints`, all early enough in the
/// cosine schedule that changing its length barely moves the learning rate.
public struct StepBudget: Sendable {
    /// Seconds for the whole run, counted from its start (reconstruction included).
    public let seconds: Double
    /// Steps asked for: the plan never exceeds them.
    public let requested: Int

    /// A budget of `seconds` for a run asking for `requested` steps.
    public init(seconds: Double, requested: Int) {
        self.seconds = seconds
        self.requested = requested
    }

    /// Completed-step counts after which the plan is made (again).
    public static let checkpoints: Set<Int> = [1, 3, 5, 9, 17]

    /// The steps to plan after `stepsDone` (at least 1) steps, `spent` seconds into the run, with
    /// steps taking `secondsPerStep`: those done plus what the rest of the budget affords, at
    /// least those done (so a spent budget ends the run), at most `requested`.
    public func plannedSteps(stepsDone: Int, spent: Double, secondsPerStep: Double) -> Int {
        // In Double: a budget of 1e308 s affords more steps than Int can hold.
        let affordable = Double(stepsDone) + max(0, seconds - spent) / max(secondsPerStep, 1e-9)
        return affordable >= Double(requested) ? requested : max(stepsDone, Int(affordable))
    }
}
