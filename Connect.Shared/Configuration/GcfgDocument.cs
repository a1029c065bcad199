using System.Text;

namespace Connect.Shared.Configuration;

/// <summary>One <c>Key = value</c> line of a gcfg file, with where it came from.</summary>
/// <param name="Subsection">The quoted name of its section (<c>[RPackageRepository "CRAN"]</c>), or null.</param>
public sealed record GcfgEntry(string Section, string Key, string Value, int Line, int SectionLine, string? Subsection = null);

/// <summary>
/// A parsed gcfg (git-config syntax) file: <c>[Section]</c> and <c>[Section "name"]</c> headers, <c>Key = value</c> lines,
/// <c>;</c> and <c>#</c> comments, double-quoted values with backslash escapes.
/// Parsing never throws: every malformed line becomes an error so they can all be shown at once.
/// </summary>
public sealed class GcfgDocument
{
    private GcfgDocument(IReadOnlyList<GcfgEntry> entries, IReadOnlyList<(int Line, string Message)> errors)
    {
        Entries = entries;
        Errors = errors;
    }

    public IReadOnlyList<GcfgEntry> Entries { get; }

    public IReadOnlyList<(int Line, string Message)> Errors { get; }

    public static GcfgDocument Parse(string text)
    {
        var entries = new List<GcfgEntry>();
        var errors = new List<(int, string)>();
        string? section = null;
        string? subsection = null;
        var sectionLine = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] is ';' or '#')
            {
                continue;
            }

            if (line[0] == '[')
            {
                var (name, sub, problem) = ParseHeader(line);
                section = problem is null ? name : null;
                subsection = sub;
                sectionLine = lineNumber;
                if (problem is not null)
                {
                    errors.Add((lineNumber, problem));
                }

                continue;
            }

            var equals = line.IndexOf('=');
            var key = (equals < 0 ? StripComment(line) : line[..equals]).Trim();
            if (!IsName(key))
            {
                errors.Add((lineNumber, $"expected 'Key = value', found '{line}'"));
                continue;
            }

            if (section is null)
            {
                errors.Add((lineNumber, $"key '{key}' appears before any [Section] header"));
                continue;
            }

            // A bare key is git-config's way of writing "true".
            if (equals < 0)
            {
                entries.Add(new GcfgEntry(section, key, "true", lineNumber, sectionLine, subsection));
                continue;
            }

            var (value, valueProblem) = ParseValue(line[(equals + 1)..]);
            if (valueProblem is not null)
            {
                errors.Add((lineNumber, $"{section}.{key}: {valueProblem}"));
                continue;
            }

            entries.Add(new GcfgEntry(section, key, value, lineNumber, sectionLine, subsection));
        }

        return new GcfgDocument(entries, errors);
    }

    /// <summary>
    /// A section header: <c>[Name]</c>, or <c>[Name "subsection"]</c> as git-config writes them (the subsection
    /// double-quoted, <c>\"</c> and <c>\\</c> escaped, case kept).
    /// </summary>
    private static (string Name, string? Subsection, string? Problem) ParseHeader(string line)
    {
        var malformed = ("", (string?)null, (string?)$"malformed section header '{line}'");
        var quote = line.IndexOf('"');
        if (quote < 0)
        {
            var close = line.IndexOf(']');
            if (close < 0 || StripComment(line[(close + 1)..]).Trim().Length > 0)
            {
                return malformed;
            }

            var name = line[1..close].Trim();
            return IsName(name) ? (name, null, null) : ("", null, $"'{name}' is not a valid section name");
        }

        var section = line[1..quote].Trim();
        var subsection = new StringBuilder();
        var i = quote + 1;
        for (; i < line.Length && line[i] != '"'; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                i++;
            }

            subsection.Append(line[i]);
        }

        var rest = i < line.Length ? line[(i + 1)..].TrimStart() : "";
        if (i >= line.Length || !rest.StartsWith(']') || StripComment(rest[1..]).Trim().Length > 0 || line[quote - 1] != ' ')
        {
            return malformed;
        }

        if (!IsName(section))
        {
            return ("", null, $"'{section}' is not a valid section name");
        }

        return subsection.Length == 0 || subsection.ToString().Any(char.IsControl)
            ? ("", null, $"[{section} \"{subsection}\"] needs a name of printable characters between the quotes")
            : (section, subsection.ToString(), null);
    }

    private static bool IsName(string s) =>
        s.Length > 0 && char.IsLetter(s[0]) && s.All(c => char.IsLetterOrDigit(c) || c == '-');

    private static string StripComment(string s)
    {
        var at = s.IndexOfAny([';', '#']);
        return at < 0 ? s : s[..at];
    }

    private static (string Value, string? Problem) ParseValue(string raw)
    {
        var value = new StringBuilder();
        var quoted = false;
        var pendingSpace = new StringBuilder();
        var s = raw.Trim();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (!quoted && c is ';' or '#')
            {
                break;
            }

            if (c == '"')
            {
                value.Append(pendingSpace);
                pendingSpace.Clear();
                quoted = !quoted;
                continue;
            }

            if (c == '\\')
            {
                if (i + 1 >= s.Length)
                {
                    return ("", "value ends with a lone backslash");
                }

                var next = s[++i];
                var escaped = next switch
                {
                    '\\' => '\\',
                    '"' => '"',
                    'n' => '\n',
                    't' => '\t',
                    _ => (char?)null,
                };
                if (escaped is null)
                {
                    return ("", $"unknown escape '\\{next}'");
                }

                value.Append(pendingSpace).Append(escaped.Value);
                pendingSpace.Clear();
                continue;
            }

            // Unquoted whitespace is kept only between words, never trailing before a comment.
            if (!quoted && char.IsWhiteSpace(c))
            {
                pendingSpace.Append(c);
                continue;
            }

            value.Append(pendingSpace).Append(c);
            pendingSpace.Clear();
        }

        return quoted ? ("", "unterminated quoted value") : (value.ToString(), null);
    }
}
