import Foundation
import TestSupport
import Testing

/// The setters are threads, not tasks: a loaded machine can keep the cooperative pool busy with
/// other tests for a minute, and a wait only has to see the change once it is made.
@Suite("poll and waitUntil")
struct WaitingTests {
    @Test("waitUntil returns once another thread makes the condition true")
    func succeeds() async throws {
        let events = Recorder<String>()
        Thread.detachNewThread {
            usleep(30_000)
            events.append("set")
        }
        try await waitUntil("the event is recorded") { !events.all.isEmpty }
        #expect(events.all == ["set"])
    }

    @Test("a wait that times out throws an error naming what, how long and where")
    func timesOut() async throws {
        let line = #line + 2
        do {
            try await waitUntil("the impossible (state \(3 * 7))", timeout: .milliseconds(40)) { false }
            Issue.record("waitUntil returned although the condition never held")
        } catch let error as WaitTimeout {
            #expect(error.description == "WaitingTests.swift:\(line): still false after 0.04 seconds: the impossible (state 21)")
        }
    }

    @Test("poll hands back the value once another thread produces it, or nil at the deadline")
    func pollValue() async {
        let values = Recorder<Int>()
        Thread.detachNewThread {
            usleep(30_000)
            values.append(3)
        }
        #expect(await poll { values.all.first } == 3)
        #expect(await poll(timeout: .milliseconds(20)) { Int?.none } == nil)
    }
}
