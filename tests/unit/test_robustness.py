"""Bad input gets a clear result, never an exception: the checker is fed arbitrary bytes and
report-shaped noise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.check import check_bytes
from nianbao.contract import report_dict
from nianbao.model import Status

pytestmark = pytest.mark.unit

FRAGMENTS = [
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况", "六、其他需要报告的事项", "第二十条第（一）项", "信息内容", "规章", "行政许可",
    "（一）予以公开", "1.属于国家秘密", "（七）总计", "四、结转下年度继续办理", "行政复议", "结果维持", "总计",
    "2023年", "2024年1月18日", "全年共受理依申请公开14件", "行政复议3件", "无行政诉讼", "信息处理费", "人民政府",
    "0", "1", "-2", "1.5", "/", "—", "无", "", " ", "\t", "\n", "年度报告", "政府信息公开", "（", "）", "、", "。",
]  # fmt: skip
noise = st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(data):
    result = check_bytes(data, "fuzz.bin")
    assert result.status in Status
    report_dict(result)  # and the contract can always be produced


@SETTINGS
@given(text=noise, encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_report_shaped_noise_never_raises(text, encoding):
    result = check_bytes(text.encode(encoding), "fuzz.txt")
    assert result.status in Status
    report = report_dict(result)
    assert all(len(v) == 7 for v in (report["tables"]["table3"] or {}).values())
