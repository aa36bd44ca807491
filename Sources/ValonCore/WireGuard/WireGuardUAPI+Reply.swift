extension WireGuardUAPI {
    /// Parses the reply to `get=1`: device lines, then one block per peer starting at its
    /// `public_key`, then `errno=N`, all before a blank line (which may be omitted from
    /// `reply`). Keys follow wireguard-tools' `userspace_get_device()`; unknown keys are
    /// skipped, as `wg` skips them, so newer implementations still parse.
    ///
    /// The device comes back normalised as ``WireGuardDevice`` documents: zero keys,
    /// port 0, fwmark 0, keepalive 0 and a zero handshake time read as `nil`.
    /// Throws ``WireGuardError/Code/userspace(errno:)`` for a non-zero `errno` and
    /// ``WireGuardError/Code/protocolError`` naming the line for anything malformed.
    public static func parseGetReply(_ reply: some Collection<UInt8>, device name: String) throws(WireGuardError) -> WireGuardDevice {
        let bytes = Array(reply)
        var device = WireGuardDevice(name: name)
        var peer: WireGuardPeer?
        var sawErrno = false
        var lineNumber = 0
        var lineStart = 0

        func fail(_ detail: String) -> WireGuardError {
            WireGuardError(.protocolError, operation: "get", device: name, "malformed reply, line \(lineNumber): \(detail)")
        }

        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[lineStart..<lineEnd]
            lineStart = lineEnd + 1
            lineNumber += 1
            if line.isEmpty { break }
            if sawErrno { throw fail("data after errno") }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { throw fail("no '=' in a line") }
            let value = line[(equals + 1)...]
            guard let key = GetKey(line[..<equals]) else { continue }
            if key.isPeerKey, peer == nil { throw fail("\(key.rawValue) before any public_key") }
            if key.isDeviceKey, peer != nil { throw fail("\(key.rawValue) inside a peer") }

            switch key {
            case .errno:
                guard let code = errnoValue(value) else { throw fail("errno is not a number") }
                if code != 0 {
                    throw WireGuardError(.userspace(errno: Int32(code)), operation: "get", device: name,
                                         "the userspace implementation answered errno=\(code)")
                }
                sawErrno = true
            case .publicKey:
                if let finished = peer { device.peers.append(finished) }
                guard let key = try? WireGuardKey(hexUTF8: value) else { throw fail("public_key is not 64 hex digits") }
                peer = WireGuardPeer(publicKey: key)
            case .privateKey:
                guard let key = try? WireGuardKey(hexUTF8: value) else { throw fail("private_key is not 64 hex digits") }
                device.privateKey = key.isZero ? nil : key
            case .listenPort:
                guard let port = decimal(value, maximum: UInt64(UInt16.max)) else { throw fail("listen_port is not a port") }
                device.listenPort = port == 0 ? nil : UInt16(port)
            case .fwmark:
                guard let mark = decimal(value, maximum: UInt64(UInt32.max)) else { throw fail("fwmark is not a 32-bit number") }
                device.fwmark = mark == 0 ? nil : UInt32(mark)
            case .presharedKey:
                guard let key = try? WireGuardKey(hexUTF8: value) else { throw fail("preshared_key is not 64 hex digits") }
                peer!.presharedKey = key.isZero ? nil : key
            case .endpoint:
                guard let endpoint = endpoint(value) else { throw fail("endpoint is not ip:port or [ipv6]:port") }
                peer!.endpoint = endpoint
            case .persistentKeepaliveInterval:
                guard let interval = decimal(value, maximum: UInt64(UInt16.max)) else {
                    throw fail("persistent_keepalive_interval is not a 16-bit number")
                }
                peer!.persistentKeepalive = interval == 0 ? nil : UInt16(interval)
            case .allowedIP:
                guard let network = network(value) else { throw fail("allowed_ip is not address/prefix") }
                peer!.allowedIPs.append(network)
            case .lastHandshakeTimeSec:
                guard let seconds = decimal(value, maximum: UInt64(Int64.max)) else { throw fail("last_handshake_time_sec is not a number") }
                peer!.setHandshake(seconds: Int64(seconds))
            case .lastHandshakeTimeNsec:
                guard let nanoseconds = decimal(value, maximum: 999_999_999) else { throw fail("last_handshake_time_nsec is not 0-999999999") }
                peer!.setHandshake(nanoseconds: Int64(nanoseconds))
            case .rxBytes:
                guard let bytes = decimal(value, maximum: UInt64.max) else { throw fail("rx_bytes is not a number") }
                peer!.rxBytes = bytes
            case .txBytes:
                guard let bytes = decimal(value, maximum: UInt64.max) else { throw fail("tx_bytes is not a number") }
                peer!.txBytes = bytes
            case .protocolVersion:
                guard let version = decimal(value, maximum: UInt64(UInt32.max)) else { throw fail("protocol_version is not a number") }
                peer!.protocolVersion = UInt32(version)
            }
        }
        guard sawErrno else {
            throw WireGuardError(.protocolError, operation: "get", device: name, "malformed reply: it has no errno line")
        }
        if let finished = peer { device.peers.append(finished) }
        return device
    }

    /// Parses the reply to `set=1`: `errno=N` and a blank line. Throws
    /// ``WireGuardError/Code/userspace(errno:)`` for a non-zero `errno`.
    public static func parseSetReply(_ reply: some Collection<UInt8>, device name: String) throws(WireGuardError) {
        let lines = Array(reply).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let text = lines.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard text.hasPrefix("errno="), lines.count == 1 || lines[1].isEmpty,
              let code = errnoValue(Array(text.utf8.dropFirst(6))) else {
            throw WireGuardError(.protocolError, operation: "set", device: name,
                                 "malformed reply: expected errno=N, got \(Self.quoted(text))")
        }
        if code != 0 {
            throw WireGuardError(.userspace(errno: Int32(code)), operation: "set", device: name,
                                 "the userspace implementation refused the update with errno=\(code)")
        }
    }

    /// A decimal number without sign or spaces, at most `maximum`.
    static func decimal(_ digits: some Collection<UInt8>, maximum: UInt64) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value <= maximum ? value : nil
    }

    /// The value of `errno=`: wireguard-go writes it negated, as the kernel returns errors
    /// (`errno=-22`), the protocol page positive; both read as the positive `errno`.
    static func errnoValue(_ value: some Collection<UInt8>) -> UInt64? {
        let digits = value.first == UInt8(ascii: "-") ? value.dropFirst() : value[...]
        return decimal(digits, maximum: UInt64(Int32.max))
    }

    /// `address/prefix`, split on the bytes (an IPv4 address is a small string: no allocation).
    static func network(_ value: ArraySlice<UInt8>) -> IPNetwork? {
        guard let slash = value.firstIndex(of: UInt8(ascii: "/")),
              let prefix = decimal(value[(slash + 1)...], maximum: 128) else { return nil }
        let text = value[..<slash]
        let address = text.contains(UInt8(ascii: ":"))
            ? IPv6Address(String(decoding: text, as: UTF8.self)).map(IPAddress.v6)
            : IPv4Address(String(decoding: text, as: UTF8.self)).map(IPAddress.v4)
        return address.flatMap { IPNetwork(address: $0, prefixLength: Int(prefix)) }
    }

    /// `ipv4:port`, split on the bytes, or `[ipv6]:port` through ``Endpoint``.
    static func endpoint(_ value: ArraySlice<UInt8>) -> Endpoint? {
        if value.first == UInt8(ascii: "[") { return Endpoint(String(decoding: value, as: UTF8.self)) }
        guard let colon = value.lastIndex(of: UInt8(ascii: ":")),
              let address = IPv4Address(String(decoding: value[..<colon], as: UTF8.self)),
              let port = decimal(value[(colon + 1)...], maximum: UInt64(UInt16.max)), port != 0 else { return nil }
        return Endpoint(address: .v4(address), port: UInt16(port))
    }

    /// At most 40 characters of a reply line, for an error message.
    static func quoted(_ text: String) -> String {
        text.count <= 40 ? "\"\(text)\"" : "\"\(text.prefix(40))…\""
    }
}

extension WireGuardPeer {
    fileprivate mutating func setHandshake(seconds: Int64? = nil, nanoseconds: Int64? = nil) {
        var time = lastHandshake ?? HandshakeTime(seconds: 0)
        if let seconds { time.seconds = seconds }
        if let nanoseconds { time.nanoseconds = nanoseconds }
        lastHandshake = time.seconds == 0 && time.nanoseconds == 0 ? nil : time
    }
}
