import NIOCore

/// A task executor (SE-0417) that runs jobs on one NIO event loop. The DDNS API prefers it,
/// so its handlers keep answering while Swift's cooperative pool (one thread per core) is
/// held by other work of the process; everything they await that blocks a thread runs on
/// ``BlockingPool`` anyway, so the loop itself never waits.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
