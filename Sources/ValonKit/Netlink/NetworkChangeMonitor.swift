import CMnl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Tells `valon-sync --follow` at once when the host's addresses or routes change (a new
/// network, a new DHCP lease, a cable moved): an rtnetlink socket in the multicast groups
/// `RTMGRP_IPV4_IFADDR`, `RTMGRP_IPV6_IFADDR`, `RTMGRP_IPV4_ROUTE` and `RTMGRP_IPV6_ROUTE`
/// (rtnetlink(7)), read on a thread of its own. Every datagram the kernel sends calls
/// `onChange`; the follow loop's ``SyncTrigger`` folds a burst of them into one more sync,
/// whose step 2 (docs/ARCHITECTURE.md §5) finds the new LAN address, sets the endpoints again
/// and reports it, so a moved client does not wait for its next `--interval`.
///
/// The socket is local to the host (no network port) and only listens. It belongs to the
/// network namespace of the thread that opened it.
public final class NetworkChangeMonitor: Sendable {
    static let groups = UInt32(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE)

    private struct State {
    }

    private let state = Mutex(State())
    private let onChange: @Sendable () -> Void
    private let thread = ServiceThread(name: "valon-netwatch")
    /// The socket, opened by ``init(onChange:)`` so that a failure is reported to the caller.
    private let socket: Mutex<OpaquePointer?>

    /// Opens the socket (in the calling thread's namespace) and joins the groups; nothing is
    /// read until ``start()``.
    public init(onChange: @escaping @Sendable () -> Void) throws(NetlinkError) {
        guard let socket = mnl_socket_open(NETLINK_ROUTE) else {
            throw NetlinkError(.socket, "cannot open an rtnetlink socket to watch address and route changes",
                               cause: SystemError(operation: "mnl_socket_open", errno: errno))
        }
        guard mnl_socket_bind(socket, Self.groups, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw NetlinkError(.socket, "cannot join the rtnetlink address and route groups",
                               cause: SystemError(operation: "mnl_socket_bind", errno: code))
        }
        let descriptor = mnl_socket_get_fd(socket)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        self.socket = Mutex(socket)
        self.onChange = onChange
    }

    deinit {
        socket.withLock { socket in
            if let socket { mnl_socket_close(socket) }
        }
    }

    /// Starts reading (once).
    public func start() {
        guard let descriptor = socket.withLock({ $0.map { mnl_socket_get_fd($0) } }) else { return }
        thread.start { [self] in loop(descriptor) }
    }

    /// Stops the thread; returns once it has ended.
    public func stop() async {
        await thread.stop()
    }

    private var isStopped: Bool { thread.isStopped }

    private func loop(_ descriptor: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        // Non-blocking, so that the drain below ends when the burst is read.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        while !isStopped {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 200) > 0 else { continue }
            var changed = false
            // Drain: a burst (an interface going away takes its addresses and routes) is one change.
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    changed = true
                } else if count < 0 && errno == ENOBUFS {
                    // The kernel dropped events for a full receive buffer: something changed.
                    changed = true
                } else {
                    break
                }
            }
            if changed { onChange() }
        }
    }
}
