#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A fixed set of worker threads that run one loop at a time, its iterations handed out through
/// an atomic counter (as ggml's CPU backend does), so uneven chunks still balance.
///
/// Iterations must write disjoint outputs; a reduction keeps one partial per iteration and
/// combines them in index order afterwards, so results never depend on the thread count.
/// If the pool is already busy (a nested call, or another job using the same pool), the loop
/// runs on the calling thread instead of waiting: correct, just not parallel.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run a loop, the caller included.
    public let threadCount: Int

    private final class Job: @unchecked Sendable {
        let count: Int
        /// Cleared once every thread is done, so the caller's non-escaping closure is provably
        /// released before `withoutActuallyEscaping` returns, in debug builds too.
        var body: ((Int) -> Void)?
        let next = Atomic<Int>(0)
        init(count: Int, body: @escaping (Int) -> Void) {
            self.count = count
            self.body = body
        }
        func drain() {
            guard let body else { return }
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if index >= count { return }
                body(index)
            }
        }
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let submitMutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeWorkers = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let workersDone = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Mirror of `generation` that idle workers poll for a short while before sleeping.
    private let publishedGeneration = Atomic<Int>(0)
    // Guarded by `mutex`.
    private var generation = 0
    private var job: Job?
    private var busyWorkers = 0
    private var shuttingDown = false
    private var workers: [pthread_t] = []

    /// Creates a pool; `threads` is clamped to at least 1 (1 means: run everything inline).
    public init(threads: Int) {
        threadCount = max(1, threads)
        pthread_mutex_init(mutex, nil)
        pthread_mutex_init(submitMutex, nil)
        pthread_cond_init(wakeWorkers, nil)
        pthread_cond_init(workersDone, nil)
        for _ in 1..<threadCount {
            let context = Unmanaged.passRetained(WorkerContext(pool: self)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.workerLoop()
                return nil
            }, context)
            precondition(status == 0, "pthread_create failed with \(status)")
            workers.append(thread)
        }
    }

    /// The processors available to this process (at least 1).
    public static var availableProcessors: Int {
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    deinit {
        pthread_mutex_lock(mutex)
        shuttingDown = true
        pthread_cond_broadcast(wakeWorkers)
        pthread_mutex_unlock(mutex)
        for thread in workers { pthread_join(thread, nil) }
        pthread_mutex_destroy(mutex)
        pthread_mutex_destroy(submitMutex)
        pthread_cond_destroy(wakeWorkers)
        pthread_cond_destroy(workersDone)
        mutex.deallocate()
        submitMutex.deallocate()
        wakeWorkers.deallocate()
        workersDone.deallocate()
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the pool's threads, and returns
    /// when all have finished.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 || pthread_mutex_trylock(submitMutex) != 0 {
            for index in 0..<count { body(index) }
            return
        }
        defer { pthread_mutex_unlock(submitMutex) }
        withoutActuallyEscaping(body) { body in
            let job = Job(count: count, body: body)
            pthread_mutex_lock(mutex)
            self.job = job
            generation &+= 1
            publishedGeneration.store(generation, ordering: .releasing)
            busyWorkers = workers.count
            pthread_cond_broadcast(wakeWorkers)
            pthread_mutex_unlock(mutex)

            job.drain()

            pthread_mutex_lock(mutex)
            while busyWorkers > 0 { pthread_cond_wait(workersDone, mutex) }
            self.job = nil
            pthread_mutex_unlock(mutex)
            job.body = nil
        }
    }

    private final class WorkerContext {
        unowned(unsafe) let pool: ThreadPool
        init(pool: ThreadPool) { self.pool = pool }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            // Poll for about a millisecond (4M loads) before sleeping: back-to-back loops (one
            // per layer) then start without a futex wake-up, which on a busy machine can arrive
            // after the caller has done all the work alone (2-thread GEMM measured like 1 thread,
            // ~250 GFLOP/s, against ~490 with polling). The hand-off still goes through the mutex.
            var spins = 0
            while spins < 4_000_000 && publishedGeneration.load(ordering: .acquiring) == seen { spins += 1 }
            pthread_mutex_lock(mutex)
            while generation == seen && !shuttingDown { pthread_cond_wait(wakeWorkers, mutex) }
            if shuttingDown {
                pthread_mutex_unlock(mutex)
                return
            }
            seen = generation
            var current = job
            pthread_mutex_unlock(mutex)

            current?.drain()
            // Drop the job (and the caller's non-escaping body it holds) before reporting done:
            // the caller checks that body is no longer referenced as soon as busyWorkers is 0.
            current = nil

            pthread_mutex_lock(mutex)
            busyWorkers -= 1
            if busyWorkers == 0 { pthread_cond_signal(workersDone) }
            pthread_mutex_unlock(mutex)
        }
    }
}
