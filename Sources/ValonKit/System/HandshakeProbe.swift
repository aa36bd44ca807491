#if canImport(Glibc)
import Glibc
#endif

/// One UDP datagram to a peer's WireGuard address (the discard port, 9): the kernel routes it
/// into the WireGuard interface, which has a packet for the peer and starts a handshake if it
/// has no session. valon-sync sends it while a direct path waits for its first handshake
/// (docs/ARCHITECTURE.md §10). Best effort: a failure is ignored, the next run sends again.
public enum HandshakeProbe {
    public static func send(to address: IPAddress) {
        let endpoint = Endpoint(address: address, port: 9)
        // Non-blocking: the probe never waits for a full send buffer.
        let fd = socket(endpoint.socketFamily, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let payload: [UInt8] = Array("valon path check".utf8)
        _ = endpoint.withSocketAddress { pointer, length in
            payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, pointer, length) }
        }
    }
}
