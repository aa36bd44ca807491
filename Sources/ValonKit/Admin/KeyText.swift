import Foundation

/// `valonctl pubkey`'s parsing: a private key as `wg genkey` prints it.
public enum KeyText {
    /// The public key of the private key in `text` (base64, surrounding white space
    /// allowed). The error never repeats the input: it may be a private key.
    public static func publicKey(ofPrivateKey text: String) throws(AdminError) -> WireGuardKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try WireGuardKey(base64: trimmed).publicKey()
        } catch {
            throw AdminError(.usage, "invalid private key on standard input: expected base64 of 32 bytes (\(trimmed.utf8.count) characters read)")
        }
    }
}
