import unicodedata

import pytest

from reportgen.agencies import Registry
from reportgen.errors import ConfigError


@pytest.fixture
def registry(workspace):
    return workspace.registry


@pytest.mark.parametrize(
    "text, mentions",
    [
        ("Sở Văn hoá và Thể thao", ["so-vh-tt"]),
        ("Sở Văn hóa và Thể thao", ["so-vh-tt"]),
        ("SỞ VĂN HÓA VÀ THỂ THAO", ["so-vh-tt"]),
        ("Văn phòng Tỉnh uỷ", ["vp-tinh-uy"]),
        ("Văn phòng Tỉnh ủy", ["vp-tinh-uy"]),
        ("Sở Công thương", ["so-cong-thuong"]),
        ("Liên Hiệp các Hội KH&KT tỉnh", ["lien-hiep-hoi"]),
        ("Ngân hàng nhà nước khu vực 7", ["nhnn-kv7"]),
        ("Các sở, ban, ngành, địa phương", ["so-ban-nganh", "xa-phuong"]),
        ("Các sở, ban, ngành; UBND các xã, phường", ["so-ban-nganh", "xa-phuong"]),
        ("Người dân, doanh nghiệp và Doanh nghiệp Viễn thông", ["nguoi-dan", "doanh-nghiep", "vien-thong"]),
        (
            "Sở Nội vụ, Sở Khoa học và Công nghệ, Đảng ủy, UBND cấp xã",
            ["so-noi-vu", "so-khcn", "dang-uy-xa", "xa-phuong"],
        ),
        ("Trường Đại học Hoa Lư và các trường ĐH, CĐ trên địa bàn tỉnh", ["dh-hoa-lu", "truong-dh-cd"]),
        ("Các cơ quan, đơn vị được giao quản lý, vận hành các hệ thống thông tin của tỉnh", ["chu-quan-httt"]),
    ],
)
def test_resolves_names_groups_and_variants(registry, text, mentions):
    result = registry.resolve(text)
    assert result.mentions == mentions
    assert result.leftover == []
    assert result.fuzzy == []


def test_nfd_input_matches(registry):
    nfd = unicodedata.normalize("NFD", "Sở Giáo dục và Đào tạo; Công an tỉnh")
    assert registry.resolve(nfd).mentions == ["so-gd-dt", "cong-an"]


def test_typo_is_accepted_with_a_warning(registry):
    result = registry.resolve("Các sở, ban, ngành; UBND các xã, phường; Bru điện tỉnh")
    assert result.mentions == ["so-ban-nganh", "xa-phuong", "buu-dien"]
    [(text, code, score)] = result.fuzzy
    assert (text, code) == ("Bru điện tỉnh", "buu-dien")  # quoted as the plan writes it
    assert score >= 85


def test_leftover_text_is_reported(registry):
    result = registry.resolve("Sở Y tế, Hội Nông dân tỉnh")
    assert result.mentions == ["so-y-te"]
    assert result.leftover == ["Hội Nông dân tỉnh"]


@pytest.mark.parametrize(
    "text, near",
    [
        ("Ngân hàng Nhà nước khu vực 5", "nhnn-kv7"),  # another number: another bank branch
        ("Sở Ngoại vụ", "so-noi-vu"),  # one distinguishing word apart: another department
        ("UBND tỉnh", "vp-ubnd"),  # the committee is not its office
    ],
)
def test_a_real_agency_is_never_turned_into_another(registry, text, near):
    result = registry.resolve(text, "ninh-binh")
    assert result.mentions == [] and result.fuzzy == []
    assert result.leftover == [text]
    assert near in result.near[text]  # offered as a hint, never chosen


def test_groups_expand_and_actors_need_a_stand_in(registry):
    codes, needs = registry.expand("vien-thong")
    assert codes == ["vnpt", "viettel", "mobifone"] and not needs
    codes, needs = registry.expand("so-ban-nganh")
    assert "so-khcn" in codes and "cong-an" in codes and not needs
    assert registry.expand("nguoi-dan") == ([], True)
    # Commune party committees are reported by the communes themselves.
    codes, needs = registry.expand("dang-uy-xa")
    assert codes == registry.expand("xa-phuong")[0] and not needs


def test_province_scoping(registry):
    assert registry.resolve("Sở Khoa học và Công nghệ").mentions == ["so-khcn"]
    assert registry.resolve("Sở Khoa học và Công nghệ", "cao-bang").mentions == ["cb-so-khcn"]


def test_bad_registry_entries_are_config_errors():
    with pytest.raises(ConfigError) as err:
        Registry.from_dict({"agencies": [{"code": "a", "name": "A"}, {"code": "a", "name": "B"}]})
    assert err.value.detail == "duplicate-code"
    with pytest.raises(ConfigError) as err:
        Registry.from_dict({"groups": [{"code": "g", "name": "G", "members": ["missing"]}]})
    assert err.value.detail == "unknown-member"


def test_every_agency_has_a_placeholder_email(registry):
    for agency in registry.agencies():
        if agency.reports:
            assert agency.email.endswith(".example"), agency.code
