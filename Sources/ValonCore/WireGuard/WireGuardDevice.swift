/// A WireGuard interface: its own key, port and mark, and its peers.
///
/// One type serves both directions, as `struct wgdevice` in wireguard-tools'
/// `containers.h` does:
/// - **read** from a device (``WireGuardBackend/device(named:)``), a field is `nil` when the
///   device reports nothing for it (no private key, no listen port, fwmark 0), and
///   ``flags`` is empty;
/// - **written** to a device (``WireGuardBackend/apply(_:to:)``), a `nil` field is left as
///   it is, a non-`nil` one is set, and ``peers`` lists only the peers to change. With
///   ``Flags/replacePeers`` every peer not in ``peers`` is removed first.
///
/// The fields map one to one onto `WGDEVICE_A_*` in `<linux/wireguard.h>` and onto the
/// `private_key`, `listen_port`, `fwmark` and `replace_peers` keys of the cross-platform
/// userspace protocol (https://www.wireguard.com/xplatform/).
public struct WireGuardDevice: Hashable, Sendable {
    /// What an update does to the device as a whole (`WGDEVICE_F_*`).
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Remove every peer before adding ``WireGuardDevice/peers``
        /// (`WGDEVICE_F_REPLACE_PEERS`, UAPI `replace_peers=true`).
        public static let replacePeers = Flags(rawValue: 1 << 0)
    }

    /// The interface name (1–15 bytes, `IFNAMSIZ - 1`).
    public var name: String
    /// The private key. In an update, ``WireGuardKey/zero`` removes the key.
    public var privateKey: WireGuardKey?
    /// The UDP port. In an update, 0 lets the device choose a random port.
    public var listenPort: UInt16?
    /// The firewall mark put on outgoing packets. In an update, 0 removes the mark.
    public var fwmark: UInt32?
    /// The peers: all of them when read; the ones to add, change or remove in an update.
    public var peers: [WireGuardPeer]
    /// Update flags; empty on a device read back.
    public var flags: Flags

    public init(
        name: String,
        privateKey: WireGuardKey? = nil,
        listenPort: UInt16? = nil,
        fwmark: UInt32? = nil,
        peers: [WireGuardPeer] = [],
        flags: Flags = []
    ) {
        self.name = name
        self.privateKey = privateKey
        self.listenPort = listenPort
        self.fwmark = fwmark
        self.peers = peers
        self.flags = flags
    }

    /// The public key of ``privateKey`` (X25519), `nil` when there is no private key.
    public var publicKey: WireGuardKey? {
        guard let privateKey, !privateKey.isZero else { return nil }
        return try? privateKey.publicKey()
    }

    /// Whether an update replaces the whole peer list (``Flags/replacePeers``).
    public var replacePeers: Bool {
        get { flags.contains(.replacePeers) }
        set { if newValue { flags.insert(.replacePeers) } else { flags.remove(.replacePeers) } }
    }

    /// The peer with this public key, if the device has it.
    public func peer(_ publicKey: WireGuardKey) -> WireGuardPeer? {
        peers.first { $0.publicKey == publicKey }
    }

    /// Whether an update changes nothing: no device field, no peer, no flag.
    public var isEmptyUpdate: Bool {
        privateKey == nil && listenPort == nil && fwmark == nil && peers.isEmpty && flags.isEmpty
    }
}
