import NIOCore
import Synchronization

/// The open TCP connections: admits a new one while fewer than `limit` are open, forgets it
/// when it closes, and closes all of them at shutdown.
final class DNSConnectionTracker: Sendable {
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Registers `channel` and returns `true`, or `false` when the limit is reached.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = open.withLock { open in
            guard open.count < limit else { return false }
            open[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [self] _ in
                open.withLock { _ = $0.removeValue(forKey: id) }
            }
        }
        return admitted
    }

    var count: Int { open.withLock { $0.count } }

    func closeAll() {
        let channels = open.withLock { Array($0.values) }
        for channel in channels { channel.close(promise: nil) }
    }
}
