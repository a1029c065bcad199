using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Users;

namespace Connect.Shared.Tests.Content;

public sealed class VanityAndTagRepositoryTests
{
    [Theory]
    [InlineData("/Sales/Report", "/sales/report/")]
    [InlineData("sales//report/", "/sales/report/")]
    [InlineData("/q3.2026_final-v2/", "/q3.2026_final-v2/")]
    public void A_vanity_path_is_kept_in_one_form(string given, string stored)
    {
        Assert.Equal(stored, VanityRepository.Normalize(given, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("/", "at least one segment")]
    [InlineData("/__api__/v1/", "the server's own")]
    [InlineData("/__anything/", "the server's own")]
    [InlineData("/content/x/", "the server's own")]
    [InlineData("/connect/", "the server's own")]
    [InlineData("/sales/../etc/", "'..' is not allowed")]
    [InlineData("/sales report/", "'sales report' is not allowed")]
    [InlineData("/s%2fx/", "is not allowed")]
    public void A_vanity_path_that_could_shadow_the_server_or_escape_is_refused(string given, string reason)
    {
        Assert.Null(VanityRepository.Normalize(given, out var problem));
        Assert.Contains(reason, problem);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Vanity_paths_never_nest_and_go_with_their_content(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var report = (await contents.CreateAsync(owner.Id, "report", null, null)).Content!;
        var other = (await contents.CreateAsync(owner.Id, "other", null, null)).Content!;
        var vanities = new VanityRepository(test.Database);

        Assert.Equal("/sales/report/", (await vanities.SetAsync(report.Id, "/sales/report")).Vanity!.Path);
        Assert.Contains("conflicts with /sales/report/", (await vanities.SetAsync(other.Id, "/sales/")).Conflict);
        Assert.Contains("conflicts with /sales/report/", (await vanities.SetAsync(other.Id, "/sales/report/q3/")).Conflict);
        Assert.Contains("conflicts with /sales/report/", (await vanities.SetAsync(other.Id, "/SALES/REPORT/")).Conflict);
        Assert.NotNull((await vanities.SetAsync(other.Id, "/sales/other/")).Vanity);

        // Moving an item's own path is not a conflict with itself.
        Assert.Equal("/sales/report/v2/", (await vanities.SetAsync(report.Id, "/sales/report/v2/")).Vanity!.Path);
        Assert.Equal(2, (await vanities.ListAsync()).Count);

        // Forced, the very same path moves from the other item to this one; a nesting one is still refused.
        Assert.Equal("/sales/other/", (await vanities.SetAsync(report.Id, "/SALES/OTHER", force: true)).Vanity!.Path);
        Assert.Null(await vanities.GetAsync(other.Id));
        Assert.Contains("conflicts with /sales/other/", (await vanities.SetAsync(other.Id, "/sales/other/deeper/", force: true)).Conflict);
        Assert.Equal("/sales/report/v2/", (await vanities.SetAsync(report.Id, "/sales/report/v2/")).Vanity!.Path);
        Assert.NotNull((await vanities.SetAsync(other.Id, "/sales/other/")).Vanity);

        await contents.DeleteAsync(report.Id);
        Assert.Equal(["/sales/other/"], (await vanities.ListAsync()).Select(v => v.Path));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Tags_form_a_tree_with_unique_sibling_names_and_deleting_one_takes_its_subtree_off_content(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var item = (await new ContentRepository(test.Database).CreateAsync(owner.Id, "report", null, null)).Content!;
        var tags = new TagRepository(test.Database);

        var region = (await tags.CreateAsync("Region", null)).Tag!;
        var europe = (await tags.CreateAsync("Europe", region.Id)).Tag!;
        Assert.Contains("already exists", (await tags.CreateAsync("Europe", region.Id)).Error);
        Assert.Contains("already exists", (await tags.CreateAsync("Region", null)).Error);
        Assert.NotNull((await tags.CreateAsync("Europe", null)).Tag); // a different parent
        Assert.True((await tags.CreateAsync("Asia", 987654)).MissingParent);

        Assert.True(await tags.AddToContentAsync(item.Id, europe.Id));
        Assert.False(await tags.AddToContentAsync(item.Id, europe.Id));
        Assert.Equal([europe.Id], (await tags.OfContentAsync(item.Id)).Select(t => t.Id));
        Assert.Equal([europe.Id], (await tags.OfContentAsync())[item.Id].Select(t => t.Id));

        Assert.True(await tags.DeleteAsync(region.Id));
        Assert.Null(await tags.GetAsync(europe.Id));
        Assert.Empty(await tags.OfContentAsync(item.Id));
    }
}
