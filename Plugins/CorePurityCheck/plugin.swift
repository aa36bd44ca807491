import Foundation
import PackagePlugin

/// Runs scripts/check-core-purity.sh whenever a ValonCore source, the script or
/// Package.swift changes, so that `swift build` fails when the pure core gains an
/// `import Glibc`, a C module or a linker flag (docs/ARCHITECTURE.md §2). The command's
/// output, a one-line Swift comment, is compiled into ValonCore.
@main
struct CorePurityCheck: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let package = context.package.directoryURL
        let script = package.appending(path: "scripts/check-core-purity.sh")
        let stamp = context.pluginWorkDirectoryURL.appending(path: "CorePurity.swift")
        return [
            .buildCommand(
                displayName: "Checking that ValonCore stays pure (scripts/check-core-purity.sh)",
                executable: URL(fileURLWithPath: "/bin/bash"),
                arguments: [script.path, "--stamp", stamp.path],
                inputFiles: target.sourceFiles(withSuffix: "swift").map(\.url) + [script, package.appending(path: "Package.swift")],
                outputFiles: [stamp]
            )
        ]
    }
}
