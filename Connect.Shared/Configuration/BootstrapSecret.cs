namespace Connect.Shared.Configuration;

/// <summary>The signing secret of <c>Bootstrap.SecretKeyFile</c>: base64 text, at least 32 bytes once decoded.</summary>
public static class BootstrapSecret
{
    public const int MinimumBytes = 32;

    /// <summary>The secret's bytes, or null with the reason in <paramref name="problem"/>.</summary>
    public static byte[]? Read(string? path, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(path))
        {
            problem = "is required when Bootstrap.Enabled = true (a file with a base64 secret: head -c 32 /dev/urandom | base64 > secret.key)";
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{path} cannot be read ({e.Message})";
            return null;
        }

        try
        {
            var secret = Convert.FromBase64String(text);
            if (secret.Length >= MinimumBytes)
            {
                return secret;
            }

            problem = $"{path} holds {secret.Length} bytes; a signing secret needs at least {MinimumBytes}";
        }
        catch (FormatException)
        {
            problem = $"{path} is not base64 text";
        }

        return null;
    }
}
