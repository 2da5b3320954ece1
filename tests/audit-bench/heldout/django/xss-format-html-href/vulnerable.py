from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html

from .models import Profile


class ProfileForm(forms.ModelForm):
    website = forms.CharField(max_length=200, required=False)

    class Meta:
        model = Profile
        fields = ["display_name", "bio", "website"]


def website_link(profile):
    if not profile.website:
        return ""
    # format_html escapes its arguments
    return format_html('<a class="profile-link" href="{}" rel="nofollow noopener">{}</a>', profile.website, profile.display_name)  # expect: CWE-79


def profile_detail(request, username):
    profile = get_object_or_404(Profile, user__username=username)
    return render(request, "profiles/detail.html", {"profile": profile, "website_link": website_link(profile)})


@login_required
def profile_edit(request):
    profile = request.user.profile
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("profile-detail", username=request.user.username)
    return render(request, "profiles/edit.html", {"form": form})
