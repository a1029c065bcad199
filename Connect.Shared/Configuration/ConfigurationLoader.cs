using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Connect.Shared.Configuration;

/// <summary>One problem with the configuration, located at a file line or an environment variable.</summary>
public sealed record ConfigError(string Source, string Message)
{
    public override string ToString() => $"{Source}: {Message}";
}

/// <summary>The outcome of loading configuration: options are only usable when there are no errors.</summary>
/// <param name="Sources">Where each key that was set came from (<c>file:line</c> or the environment variable), by <c>Section.Key</c>.</param>
public sealed record ConfigurationResult(
    ConnectOptions Options, IReadOnlyList<ConfigError> Errors, string? Path, IReadOnlyDictionary<string, string> Sources)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Loads configuration from a gcfg file and <c>CONNECT_SECTION_KEY</c> environment variables
/// (which win over the file), binds it to <see cref="ConnectOptions"/> and validates it,
/// collecting every problem instead of stopping at the first.
/// </summary>
public static class ConfigurationLoader
{
    public const string ConfigEnvironmentVariable = "CONNECT_CONFIG";
    private const string EnvironmentPrefix = "CONNECT_";

    /// <summary>Finds the file from <c>--config PATH</c> in the arguments, else <c>CONNECT_CONFIG</c>.</summary>
    public static string? FindConfigPath(IReadOnlyList<string> args, IDictionary environment)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Count)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return environment[ConfigEnvironmentVariable] as string is { Length: > 0 } fromEnv ? fromEnv : null;
    }

    public static ConfigurationResult Load(IReadOnlyList<string> args) =>
        Load(FindConfigPath(args, Environment.GetEnvironmentVariables()), Environment.GetEnvironmentVariables());

    public static ConfigurationResult Load(string? path, IDictionary environment)
    {
        var errors = new List<ConfigError>();
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var options = new ConnectOptions();

        if (path is not null)
        {
            if (!File.Exists(path))
            {
                errors.Add(new ConfigError(path, "configuration file not found"));
            }
            else
            {
                var document = GcfgDocument.Parse(File.ReadAllText(path));
                var fileName = System.IO.Path.GetFileName(path);
                errors.AddRange(document.Errors.Select(e => new ConfigError($"{fileName}:{e.Line}", e.Message)));
                foreach (var entry in document.Entries)
                {
                    BindEntry(options, entry, fileName, sources, errors);
                }
            }
        }

        foreach (var (name, value) in EnvironmentOverrides(environment))
        {
            var parts = name[EnvironmentPrefix.Length..].Split('_', 2);
            if (parts.Length == 2 && FindSection(parts[0]) is not null)
            {
                var section = FindSection(parts[0])!;
                Bind(section.GetValue(options)!, section.Name, parts[1], value, $"environment variable {name}", sources, errors);
            }
        }

        errors.AddRange(ConfigValidator.Validate(options, key => sources.GetValueOrDefault(key, "default")));
        return new ConfigurationResult(options, errors, path, sources);
    }

    /// <summary>Every key as <c>Section.Key</c> (<c>Section "NAME".Key</c> for named sections), for documentation and tests.</summary>
    public static IEnumerable<string> AllKeys() =>
        Sections().SelectMany(section => KeysOf(section.PropertyType).Select(key => $"{section.Name}.{key.Name}"))
            .Concat(NamedSections().SelectMany(section => KeysOf(NamedType(section)).Select(key => $"{section.Name} \"NAME\".{key.Name}")));

    /// <summary>Binds one line of the file to its section, or to its named section (<c>[RPackageRepository "CRAN"]</c>).</summary>
    private static void BindEntry(ConnectOptions options, GcfgEntry entry, string fileName, Dictionary<string, string> sources, List<ConfigError> errors)
    {
        var plain = FindSection(entry.Section);
        var named = NamedSections().FirstOrDefault(p => p.Name.Equals(entry.Section, StringComparison.OrdinalIgnoreCase));
        var problem = (plain, named, entry.Subsection) switch
        {
            (null, null, _) => $"unknown section [{entry.Section}]",
            (not null, _, not null) => $"[{plain.Name}] takes no name: write [{plain.Name}], not [{entry.Section} \"{entry.Subsection}\"]",
            (_, not null, null) => $"[{named.Name}] needs a name, as in [{named.Name} \"CRAN\"]",
            _ => null,
        };
        if (problem is not null)
        {
            // Once per section, at its header, however many keys it holds.
            var error = new ConfigError($"{fileName}:{entry.SectionLine}", problem);
            if (!errors.Contains(error))
            {
                errors.Add(error);
            }

            return;
        }

        if (plain is not null)
        {
            Bind(plain.GetValue(options)!, plain.Name, entry.Key, entry.Value, $"{fileName}:{entry.Line}", sources, errors);
            return;
        }

        var sections = (System.Collections.IDictionary)named!.GetValue(options)!;
        var section = sections[entry.Subsection!] ??= Activator.CreateInstance(NamedType(named))!;
        Bind(section, $"{named.Name} \"{entry.Subsection}\"", entry.Key, entry.Value, $"{fileName}:{entry.Line}", sources, errors);
    }

    /// <summary>Sections that come once per name, such as <c>[RPackageRepository "CRAN"]</c>: dictionaries of options by name.</summary>
    private static IEnumerable<PropertyInfo> NamedSections() =>
        typeof(ConnectOptions).GetProperties().Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>));

    private static Type NamedType(PropertyInfo namedSection) => namedSection.PropertyType.GetGenericArguments()[1];

    private static IEnumerable<PropertyInfo> Sections() =>
        typeof(ConnectOptions).GetProperties().Where(p => p.PropertyType.Name.EndsWith("Options", StringComparison.Ordinal));

    private static IEnumerable<PropertyInfo> KeysOf(Type sectionType) =>
        sectionType.GetProperties().Where(p => p.SetMethod is { IsPublic: true });

    private static IEnumerable<(string Name, string Value)> EnvironmentOverrides(IDictionary environment)
    {
        foreach (DictionaryEntry e in environment)
        {
            if (e.Key is string name && e.Value is string value
                && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)
                && !name.Equals(ConfigEnvironmentVariable, StringComparison.OrdinalIgnoreCase))
            {
                yield return (name, value);
            }
        }
    }

    private static PropertyInfo? FindSection(string name) =>
        Sections().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private static void Bind(
        object section, string sectionName, string keyName, string value, string source,
        Dictionary<string, string> sources, List<ConfigError> errors)
    {
        var key = KeysOf(section.GetType())
            .FirstOrDefault(p => p.Name.Equals(keyName, StringComparison.OrdinalIgnoreCase));
        if (key is null)
        {
            errors.Add(new ConfigError(source, $"unknown key {sectionName}.{keyName}"));
            return;
        }

        var fullName = $"{sectionName}.{key.Name}";
        if (!TryConvert(key.PropertyType, value, out var converted, out var expected))
        {
            errors.Add(new ConfigError(source, $"{fullName} = '{value}' is not {expected}"));
            return;
        }

        key.SetValue(section, converted);
        sources[fullName] = source;
    }

    private static bool TryConvert(Type type, string text, out object? value, out string expected)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        value = null;
        expected = "valid";
        if (target == typeof(string))
        {
            value = text.Length == 0 && type != target ? null : text;
            return true;
        }

        if (target == typeof(bool))
        {
            expected = "a boolean (true or false)";
            var ok = ConfigValues.TryParseBool(text, out var b);
            value = b;
            return ok;
        }

        if (target == typeof(int))
        {
            expected = "a whole number";
            var ok = int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i);
            value = i;
            return ok;
        }

        if (target == typeof(double))
        {
            expected = "a number";
            var ok = double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d);
            value = d;
            return ok;
        }

        if (target == typeof(TimeSpan))
        {
            expected = "a duration such as 500ms, 5s or 3m";
            var ok = ConfigValues.TryParseDuration(text, out var t);
            value = t;
            return ok;
        }

        if (target == typeof(ByteSize))
        {
            expected = "a size such as 5 MB";
            var ok = ConfigValues.TryParseSize(text, out var s);
            value = s;
            return ok;
        }

        if (target.IsEnum)
        {
            expected = "one of " + string.Join(", ", Enum.GetNames(target).Select(n => n.ToLowerInvariant()));
            var trimmed = text.Trim();
            var ok = trimmed.Length > 0 && char.IsLetter(trimmed[0])
                && Enum.TryParse(target, trimmed, ignoreCase: true, out var e) && Enum.IsDefined(target, e!);
            value = ok ? Enum.Parse(target, trimmed, ignoreCase: true) : null;
            return ok;
        }

        throw new NotSupportedException($"configuration keys of type {target} are not supported");
    }
}
