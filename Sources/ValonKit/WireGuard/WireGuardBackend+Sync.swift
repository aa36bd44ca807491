extension WireGuardBackend {
    /// Reads the interface `name`, computes the smallest update to `desired`
    /// (``WireGuardDevice/update(toReach:removable:)``) and applies it in one request;
    /// returns the update (empty when nothing had to change, and then nothing is sent).
    /// When reading fails, nothing is sent and the device stays as it was.
    @discardableResult
    public func sync(
        _ name: String,
        to desired: WireGuardDevice,
        removable: (WireGuardPeer) -> Bool = { _ in true }
    ) throws(WireGuardError) -> WireGuardDevice {
        let current = try device(named: name)
        var update = current.update(toReach: desired, removable: removable)
        update.name = name
        if !update.isEmptyUpdate { try apply(update, to: name) }
        return update
    }
}
