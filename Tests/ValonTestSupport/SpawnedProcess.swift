import Synchronization
import ValonKit
#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test, started with ValonKit's `ChildProcess` (the same spawn as
/// wireguard-go's): standard streams on /dev/null, nothing else inherited, a clean signal
/// state. Foundation's `Process` passes on the spawning thread's blocked-signal mask, and
/// the test runner's threads block SIGTERM, so a daemon started that way (NSD) would never
/// see the SIGTERM that should stop it.
public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    private let exited = Mutex(false)

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `path` with `arguments`.
    public init(_ path: String, _ arguments: [String]) throws {
        do {
            pid = try ChildProcess.spawn(path, arguments)
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    deinit { terminate() }

    /// Whether the process is still running (reaps it once it has exited).
    public var isRunning: Bool {
        exited.withLock { exited in
            guard !exited else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exited = true }
            return !exited
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited after 5 s; waits for it.
    public func terminate() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where isRunning { usleep(50_000) }
        guard isRunning else { return }
        kill(pid, SIGKILL)
        exited.withLock { exited in
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            exited = true
        }
    }
}
