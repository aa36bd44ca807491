/// The `valon-sync --follow` loop (docs/ARCHITECTURE.md §5, §12): a sync, then a wait of
/// ``interval`` or until a NOTIFY or a change of the host's network wakes it
/// (``SyncTrigger``), for ever.
///
/// The periodic sync stays whatever NOTIFY does: it is the backstop for a lost NOTIFY and
/// for a node that cannot send one, and it is what notices that this host moved and what
/// judges each path (docs/ARCHITECTURE.md §10), so NOTIFY does not stretch it.
///
/// RFC 1996 §3.11 warns that the node that notified may be ahead of the one the client
/// asks: with several discovery nodes the sync reads from the one that answered last
/// (§11), which may not have installed the change yet. When the NOTIFY named a serial
/// newer than the one the sync then saw, the loop syncs again after each of
/// ``catchUpDelays`` (woken early by another NOTIFY) until it sees that serial, then falls
/// back to the interval.
public struct SyncFollower: Sendable {
    /// Between two syncs when nothing wakes the loop (`--interval`).
    public var interval: Duration
    /// What wakes the loop early; `nil` polls only.
    public var trigger: SyncTrigger?
    /// The waits before each extra sync while the serial a NOTIFY named has not been seen.
    public var catchUpDelays: [Duration] = [.milliseconds(100), .milliseconds(300), .seconds(1)]

    public init(interval: Duration, trigger: SyncTrigger?) {
        self.interval = interval
        self.trigger = trigger
    }

    /// Why the loop ran a sync.
    public enum Wake: Sendable, Hashable {
        /// The first sync, at start.
        case start
        /// ``interval`` passed.
        case interval
        /// A NOTIFY fired the trigger (or fired it while the last sync ran).
        case notify
        /// The host's addresses or routes changed (``NetworkChangeMonitor``).
        case network
        /// A catch-up sync: a NOTIFY named a serial newer than the last sync saw.
        case catchUp
    }

    /// Runs `sync` until the task is cancelled. `sync` gets why it runs and returns the zone
    /// serial it saw, or `nil` when it failed.
    public func run(_ sync: (Wake) async -> UInt32?) async {
        var wake = Wake.start
        var catchUp = 0
        while !Task.isCancelled {
            let serial = await sync(wake)
            guard let trigger else {
                try? await Task.sleep(for: interval)
                wake = .interval
                continue
            }
            trigger.synced(serial: serial)
            if trigger.behind(serial) != nil, catchUp < catchUpDelays.count {
                let delay = catchUpDelays[catchUp]
                catchUp += 1
                wake = await trigger.wait(upTo: delay) ? woken(trigger) : .catchUp
                continue
            }
            if catchUp > 0 {
                trigger.forgetAnnounced()
                catchUp = 0
            }
            wake = await trigger.wait(upTo: interval) ? woken(trigger) : .interval
        }
    }

    /// What fired the trigger: a change of the network outranks a NOTIFY.
    private func woken(_ trigger: SyncTrigger) -> Wake {
        trigger.takeNetworkChange() ? .network : .notify
    }
}
