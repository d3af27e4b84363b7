import TestSupport
import Testing

@Suite("Recorder")
struct RecorderTests {
    @Test("appends from many tasks at once are all kept")
    func concurrentAppends() async {
        let recorder = Recorder<Int>()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask { for i in 0..<500 { recorder.append(task * 1000 + i) } }
            }
        }
        #expect(recorder.all.count == 4000)
        #expect(Set(recorder.all).count == 4000)
    }
}
