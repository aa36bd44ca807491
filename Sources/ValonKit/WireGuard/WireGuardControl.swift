/// The one entry point for WireGuard devices: picks the backend the way `wg` does
/// (wireguard-tools' `ipc.c`): the userspace socket `/var/run/wireguard/NAME.sock` when it
/// exists, else the kernel over generic netlink.
public enum WireGuardControl {
    /// The backend that controls the interface `name`.
    public static func backend(for name: String) -> any WireGuardBackend {
        let userspace = WireGuardUAPIBackend()
        return userspace.hasSocket(for: name) ? userspace : kernelBackend
    }

    /// Every WireGuard interface, kernel and userspace, sorted and without duplicates.
    public static func listDevices() throws(WireGuardError) -> [String] {
        let kernel = try kernelBackend.listDevices()
        let userspace = try WireGuardUAPIBackend().listDevices()
        return Set(kernel + userspace).sorted()
    }

    /// Reads the interface `name` through its backend.
    public static func device(named name: String) throws(WireGuardError) -> WireGuardDevice {
        try backend(for: name).device(named: name)
    }

    /// Applies `update` to the interface `name` through its backend.
    public static func apply(_ update: WireGuardDevice, to name: String) throws(WireGuardError) {
        try backend(for: name).apply(update, to: name)
    }
}
