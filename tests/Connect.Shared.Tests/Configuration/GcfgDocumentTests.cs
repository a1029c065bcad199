using Connect.Shared.Configuration;

namespace Connect.Shared.Tests.Configuration;

public sealed class GcfgDocumentTests
{
    [Fact]
    public void Quoted_values_keep_comment_characters_and_escapes()
    {
        var document = GcfgDocument.Parse("[A]\nx = \"a;b # c\" ; comment\ny = \"say \\\"hi\\\"\"\nz = two  words\n");

        Assert.Empty(document.Errors);
        Assert.Equal(["a;b # c", "say \"hi\"", "two  words"], document.Entries.Select(e => e.Value));
        Assert.Equal([2, 3, 4], document.Entries.Select(e => e.Line));
    }

    [Fact]
    public void A_bare_key_means_true()
    {
        var entry = Assert.Single(GcfgDocument.Parse("[Metrics]\nGraphite\n").Entries);

        Assert.Equal(("Metrics", "Graphite", "true"), (entry.Section, entry.Key, entry.Value));
    }

    [Fact]
    public void Malformed_lines_are_errors_with_line_numbers()
    {
        var document = GcfgDocument.Parse("[Good]\n[Bad\n[Sub \"x\"\nk = \"open\n= value\n");

        Assert.Equal([2, 3, 4, 5], document.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Quoted_subsections_name_their_section_as_git_config_writes_them()
    {
        var document = GcfgDocument.Parse("[RPackageRepository \"CRAN\"]\nURL = http://a\n[RPackageRepository \"My \\\"Mirror\\\"\"] ; note\nURL = http://b\n[Plain]\nk = v\n");

        Assert.Empty(document.Errors);
        Assert.Equal([("RPackageRepository", "CRAN"), ("RPackageRepository", "My \"Mirror\""), ("Plain", null)],
            document.Entries.Select(e => (e.Section, e.Subsection)));
    }

    [Theory]
    [InlineData("[Repo \"\"]\n", "needs a name")]
    [InlineData("[Repo\"x\"]\n", "malformed section header")]
    [InlineData("[Repo \"x\" y]\n", "malformed section header")]
    [InlineData("[9Repo \"x\"]\n", "not a valid section name")]
    public void Malformed_subsections_are_errors(string text, string message)
    {
        var error = Assert.Single(GcfgDocument.Parse(text).Errors);

        Assert.Contains(message, error.Message);
    }
}
