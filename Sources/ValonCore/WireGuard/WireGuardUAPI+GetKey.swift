extension WireGuardUAPI {
    /// The keys of a `get=1` reply that ValonKit reads (wireguard-tools' `ipc-uapi.h`).
    enum GetKey: String, CaseIterable {
        case privateKey = "private_key"
        case listenPort = "listen_port"
        case fwmark
        case publicKey = "public_key"
        case presharedKey = "preshared_key"
        case endpoint
        case persistentKeepaliveInterval = "persistent_keepalive_interval"
        case allowedIP = "allowed_ip"
        case lastHandshakeTimeSec = "last_handshake_time_sec"
        case lastHandshakeTimeNsec = "last_handshake_time_nsec"
        case rxBytes = "rx_bytes"
        case txBytes = "tx_bytes"
        case protocolVersion = "protocol_version"
        case errno

        /// Every key with its UTF-8 bytes, for matching without making a string per line.
        private static let table: [(GetKey, [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

        /// The key spelled by `bytes`, or `nil` for a key this parser skips.
        init?(_ bytes: ArraySlice<UInt8>) {
            guard let match = Self.table.first(where: { $0.1.count == bytes.count && $0.1.elementsEqual(bytes) }) else { return nil }
            self = match.0
        }

        /// Keys that only come before the first peer.
        var isDeviceKey: Bool { self == .privateKey || self == .listenPort || self == .fwmark }

        /// Keys that only come inside a peer.
        var isPeerKey: Bool { !isDeviceKey && self != .publicKey && self != .errno }
    }
}
