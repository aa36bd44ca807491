import ArgumentParser
import ValonKit

/// The options every command that talks to etcd or WireGuard takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The valonctl.yml to read.", valueName: "path"))
    var config: String = ValonctlConfig.defaultPath

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    /// The administrator for the configuration file.
    func administrator(keyDirectory: String = Administrator.defaultKeyDirectory) throws(AdminError) -> Administrator {
        try Administrator(configuration: Administrator.loadConfiguration(path: config), keyDirectory: keyDirectory)
    }
}
