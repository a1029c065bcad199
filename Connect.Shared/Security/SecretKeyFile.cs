using System.Security.Cryptography;
using System.Xml.Linq;
using Connect.Shared.Files;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Shared.Security;

/// <summary>
/// <c>Server.SecretKeyFile</c>: a 256-bit key kept outside the database and the data directory (0600, the same file on
/// every node of a cluster and beside the console) that encrypts the Data Protection key ring before it is stored in
/// the database. Someone holding only a copy of the database or a backup then holds ciphertext: no session cookie can
/// be forged and no content variable read from it. A node makes the file when it does not exist; one that exists must
/// be a plain file that no one but its owner can read.
/// </summary>
public sealed class SecretKeyFile
{
    private const int KeyBytes = 32;

    private SecretKeyFile(string path, byte[] key)
    {
        Path = path;
        Key = key;
        Id = Convert.ToHexStringLower(SHA256.HashData(key))[..12];
    }

    public string Path { get; }

    internal byte[] Key { get; }

    /// <summary>Names the key (a hash of it, never the key), so a key ring encrypted with another can say which it wants.</summary>
    public string Id { get; }

    /// <summary>Reads the key, or makes a new one when the file does not exist.</summary>
    public static SecretKeyFile LoadOrCreate(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (NoFollowTree.Describe(full) is null && Create(full) is { } made)
        {
            return made;
        }

        var described = NoFollowTree.Describe(full)!.Value;
        if ((described.Mode & NoFollowTree.TypeMask) != NoFollowTree.RegularType)
        {
            throw new InvalidOperationException($"Server.SecretKeyFile {full} is not a plain file (a link?)");
        }

        if ((described.Mode & 0x3F) != 0)
        {
            throw new InvalidOperationException($"Server.SecretKeyFile {full} may be read by others (mode {Convert.ToString(described.Mode & 0x1FF, 8)}); make it 600 (chmod 600 {full})");
        }

        var text = File.ReadAllText(full).Trim();
        var bytes = new byte[KeyBytes];
        if (!Convert.TryFromBase64String(text, bytes, out var written) || written != KeyBytes)
        {
            throw new InvalidOperationException($"Server.SecretKeyFile {full} does not hold a key this server made (one line of base64, {KeyBytes} bytes)");
        }

        return new SecretKeyFile(full, bytes);
    }

    /// <summary>
    /// Writes a new key beside the file and moves it into place only if there is still none (a node and the console
    /// started together): null when the other made it first, which is then read.
    /// </summary>
    private static SecretKeyFile? Create(string full)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var written = $"{full}.{Guid.NewGuid():N}.new";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var file = new StreamWriter(new FileStream(written, options)))
        {
            file.WriteLine(Convert.ToBase64String(key));
        }

        try
        {
            File.Move(written, full, overwrite: false);
            return new SecretKeyFile(full, key);
        }
        catch (IOException) when (File.Exists(full))
        {
            File.Delete(written);
            return null;
        }
    }

    /// <summary>AES-GCM under this key: a fresh nonce, then the tag, then the ciphertext.</summary>
    internal byte[] Seal(byte[] plaintext)
    {
        var sealedBytes = new byte[12 + 16 + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key, 16);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16));
        return sealedBytes;
    }

    internal byte[] Open(byte[] sealedBytes)
    {
        var plaintext = new byte[sealedBytes.Length - 28];
        using var aes = new AesGcm(Key, 16);
        aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plaintext);
        return plaintext;
    }
}

/// <summary>Encrypts a key of the ring with the secret key file, as Data Protection asks before it stores the key.</summary>
public sealed class SecretKeyXmlEncryptor(SecretKeyFile key) : IXmlEncryptor
{
    internal static readonly XName Element = "connectEncryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedBytes = key.Seal(System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)));
        return new EncryptedXmlInfo(new XElement(Element, new XAttribute("key", key.Id), Convert.ToBase64String(sealedBytes)), typeof(SecretKeyXmlDecryptor));
    }
}

/// <summary>Decrypts a key of the ring; Data Protection makes one with the node's services when it reads the ring.</summary>
public sealed class SecretKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var key = services.GetRequiredService<SecretKeyFile>();
        var wanted = (string?)encryptedElement.Attribute("key");
        if (wanted != key.Id)
        {
            throw new CryptographicException(
                $"the key ring was encrypted with another Server.SecretKeyFile (key {wanted}; {key.Path} is key {key.Id}): copy that file from another node");
        }

        return XElement.Parse(System.Text.Encoding.UTF8.GetString(key.Open(Convert.FromBase64String(encryptedElement.Value))));
    }
}
