/// One peer of a WireGuard interface.
///
/// As ``WireGuardDevice``, one type for both directions (`struct wgpeer` in
/// wireguard-tools' `containers.h`):
/// - **read** from a device, ``presharedKey`` is `nil` when there is none (the all-zero
///   key), ``persistentKeepalive`` is `nil` when it is off, ``endpoint`` `nil` when the
///   peer has none yet, and the statistics (``lastHandshake``, ``rxBytes``, ``txBytes``,
///   ``protocolVersion``) are filled in;
/// - **in an update**, a `nil` field is left as it is, ``allowedIPs`` are added to the
///   peer's (or replace them with ``Flags/replaceAllowedIPs``), the statistics are ignored,
///   and ``flags`` say whether to remove the peer or only update an existing one.
///
/// Fields and flags follow `WGPEER_A_*` and `WGPEER_F_*` in `<linux/wireguard.h>` and the
/// peer keys of https://www.wireguard.com/xplatform/.
public struct WireGuardPeer: Hashable, Sendable {
    /// What an update does to this peer (`WGPEER_F_*`).
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Remove the peer; every other field is ignored (`WGPEER_F_REMOVE_ME`, `remove=true`).
        public static let remove = Flags(rawValue: 1 << 0)
        /// Replace the peer's allowed IPs with ``WireGuardPeer/allowedIPs`` instead of adding
        /// to them (`WGPEER_F_REPLACE_ALLOWEDIPS`, `replace_allowed_ips=true`).
        public static let replaceAllowedIPs = Flags(rawValue: 1 << 1)
        /// Change the peer only if the device already has it; never create it
        /// (`WGPEER_F_UPDATE_ONLY`, `update_only=true`).
        public static let updateOnly = Flags(rawValue: 1 << 2)
    }

    /// When the last handshake completed: seconds and nanoseconds since the Unix epoch,
    /// as `struct __kernel_timespec` (`WGPEER_A_LAST_HANDSHAKE_TIME`).
    public struct HandshakeTime: Hashable, Sendable, Comparable {
        public var seconds: Int64
        public var nanoseconds: Int64

        public init(seconds: Int64, nanoseconds: Int64 = 0) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        public static func < (lhs: HandshakeTime, rhs: HandshakeTime) -> Bool {
            (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
        }
    }

    /// The peer's public key: its identity on the device.
    public var publicKey: WireGuardKey
    /// The preshared key. In an update, ``WireGuardKey/zero`` removes it.
    public var presharedKey: WireGuardKey?
    /// Where to send the peer's packets; the device learns it from incoming packets too.
    public var endpoint: Endpoint?
    /// Seconds between keepalive packets. In an update, 0 turns keepalives off.
    public var persistentKeepalive: UInt16?
    /// The networks this peer may send from and is routed to.
    public var allowedIPs: [IPNetwork]
    /// Update flags; empty on a peer read back.
    public var flags: Flags

    /// The last completed handshake; `nil` when there has been none. Read only.
    public var lastHandshake: HandshakeTime?
    /// Bytes received from the peer. Read only.
    public var rxBytes: UInt64
    /// Bytes sent to the peer. Read only.
    public var txBytes: UInt64
    /// The WireGuard protocol version (1), when the device reports it. In an update it is
    /// sent as given (only 1 is accepted by devices); `nil` sends nothing.
    public var protocolVersion: UInt32?

    public init(
        publicKey: WireGuardKey,
        presharedKey: WireGuardKey? = nil,
        endpoint: Endpoint? = nil,
        persistentKeepalive: UInt16? = nil,
        allowedIPs: [IPNetwork] = [],
        flags: Flags = [],
        lastHandshake: HandshakeTime? = nil,
        rxBytes: UInt64 = 0,
        txBytes: UInt64 = 0,
        protocolVersion: UInt32? = nil
    ) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
        self.allowedIPs = allowedIPs
        self.flags = flags
        self.lastHandshake = lastHandshake
        self.rxBytes = rxBytes
        self.txBytes = txBytes
        self.protocolVersion = protocolVersion
    }

    /// An update entry that removes the peer with this key.
    public static func removal(of publicKey: WireGuardKey) -> WireGuardPeer {
        WireGuardPeer(publicKey: publicKey, flags: .remove)
    }

    /// The peer's configuration without statistics or flags: what a device read back
    /// should equal after this peer was applied to an empty device.
    public var configuration: WireGuardPeer {
        WireGuardPeer(
            publicKey: publicKey,
            presharedKey: presharedKey.flatMap { $0.isZero ? nil : $0 },
            endpoint: endpoint,
            persistentKeepalive: persistentKeepalive == 0 ? nil : persistentKeepalive,
            allowedIPs: allowedIPs
        )
    }
}
