import TestSupport
import Testing

@Suite("poll and waitUntil")
struct WaitingTests {
    @Test("waitUntil returns once another task makes the condition true")
    func succeeds() async throws {
        let events = Recorder<String>()
        let setter = Task {
            try await Task.sleep(for: .milliseconds(30))
            events.append("set")
        }
        try await waitUntil("the event is recorded", timeout: .seconds(30)) { !events.all.isEmpty }
        #expect(events.all == ["set"])
        try await setter.value
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

    @Test("poll hands back the first value produced, or nil at the deadline")
    func pollValue() async {
        var calls = 0
        let third = await poll(timeout: .seconds(30)) { () -> Int? in
            calls += 1
            return calls == 3 ? calls : nil
        }
        #expect(third == 3)
        #expect(await poll(timeout: .milliseconds(20)) { Int?.none } == nil)
    }
}
