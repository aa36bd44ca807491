extension WireGuardDevice {
    /// The smallest update that turns this device (as read back) into `desired`: what
    /// `wg syncconf` computes in wireguard-tools' `setconf.c`, as one batch.
    ///
    /// - A peer of this device that `desired` lacks is removed, if `removable` allows it
    ///   (valon-sync keeps the discovery peer and peers outside its network this way).
    /// - A peer that only `desired` has is added with its configuration.
    /// - A peer both have gets an entry with only what differs, flagged
    ///   ``WireGuardPeer/Flags/updateOnly`` so it is never re-created half-configured if it
    ///   vanished meanwhile: the preshared key (`nil` in `desired` removes it), the
    ///   keepalive (`nil` turns it off), the endpoint (only when `desired` names one: a
    ///   device cannot forget an endpoint), and the allowed IPs, compared as sets of
    ///   canonical networks and replaced as a whole (``WireGuardPeer/Flags/replaceAllowedIPs``).
    ///   A peer with nothing to change is omitted.
    /// - `privateKey`, `listenPort` and `fwmark` are set when `desired` has them and they
    ///   differ; `nil` in `desired` means "leave as it is", port 0 "any port".
    ///
    /// Flags and statistics of `desired` are ignored; when it lists a key twice, the last
    /// entry counts, at the place of the first. The result is named `desired.name`; it is empty
    /// (``isEmptyUpdate``) when the device already matches.
    public func update(
        toReach desired: WireGuardDevice,
        removable: (WireGuardPeer) -> Bool = { _ in true }
    ) -> WireGuardDevice {
        var update = WireGuardDevice(name: desired.name)
        if let key = desired.privateKey, (key.isZero ? nil : key) != privateKey { update.privateKey = key }
        if let port = desired.listenPort, port != 0, port != listenPort { update.listenPort = port }
        if let mark = desired.fwmark, (mark == 0 ? nil : mark) != fwmark { update.fwmark = mark }

        var wanted = [WireGuardKey: WireGuardPeer](minimumCapacity: desired.peers.count)
        for peer in desired.peers { wanted[peer.publicKey] = peer }
        var present = [WireGuardKey: WireGuardPeer](minimumCapacity: peers.count)
        for peer in peers { present[peer.publicKey] = peer }

        for peer in peers where wanted[peer.publicKey] == nil && removable(peer) {
            update.peers.append(.removal(of: peer.publicKey))
        }
        var seen = Set<WireGuardKey>(minimumCapacity: wanted.count)
        for key in desired.peers.map(\.publicKey) where seen.insert(key).inserted {
            let peer = wanted[key]!
            if let current = present[key] {
                if let change = current.change(toReach: peer) { update.peers.append(change) }
            } else {
                update.peers.append(peer.configuration)
            }
        }
        return update
    }
}

extension WireGuardPeer {
    /// The entry that changes this peer (as read back) into `desired`, or `nil` when they
    /// already agree. See ``WireGuardDevice/update(toReach:removable:)``.
    func change(toReach desired: WireGuardPeer) -> WireGuardPeer? {
        let target = desired.configuration
        var change = WireGuardPeer(publicKey: publicKey, flags: .updateOnly)
        if target.presharedKey != presharedKey { change.presharedKey = target.presharedKey ?? .zero }
        if let endpoint = target.endpoint, endpoint != self.endpoint { change.endpoint = endpoint }
        if target.persistentKeepalive != persistentKeepalive { change.persistentKeepalive = target.persistentKeepalive ?? 0 }
        if Set(target.allowedIPs.map(\.canonical)) != Set(allowedIPs.map(\.canonical)) {
            change.allowedIPs = target.allowedIPs
            change.flags.insert(.replaceAllowedIPs)
        }
        let unchanged = change.presharedKey == nil && change.endpoint == nil
            && change.persistentKeepalive == nil && !change.flags.contains(.replaceAllowedIPs)
        return unchanged ? nil : change
    }
}
