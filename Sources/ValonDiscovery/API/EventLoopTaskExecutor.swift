import NIOCore
import NIOPosix

/// A task executor (SE-0417) that runs jobs on the event loops of a group of its own,
/// one loop after another. The discovery node's tasks prefer it (``DiscoveryServer``,
/// ``DDNSServer``), so they keep running while Swift's cooperative pool (one thread per
/// core) is held by other work of the process, such as a test run's blocking helpers;
/// everything they await that blocks a thread runs on ``BlockingPool``, so no loop waits.
/// No socket is served from these loops: DNS and the relay have the NIO singleton's.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let group: any EventLoopGroup

    /// The loops every node of the process shares: as many as the cooperative pool has threads.
    /// Whoever runs a part of the node on its own (a test starting a store or a DNS server)
    /// prefers it as ``DiscoveryServer`` does: `Task(executorPreference: .nodeTasks) { … }`.
    public static let nodeTasks = EventLoopTaskExecutor(group: MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount)))

    init(group: any EventLoopGroup) {
        self.group = group
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        group.next().execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
