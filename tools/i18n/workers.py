"""Vietnamese for issue #12, workers' part: a broadcast stopped, long staff answers,
a shared contact that is not the person's own."""

VI = {
    "⚠️ Broadcast #{id} was stopped: it cannot be sent ({reason}). The other broadcasts go on.":
        "⚠️ Tin #{id} đã bị dừng: không gửi được ({reason}). Các tin khác vẫn gửi bình thường.",
    "  ⚠️ stopped, it cannot be sent: {reason}": "  ⚠️ đã dừng, không gửi được: {reason}",
}
VI.update({
    "⚠️ Not sent: the answer is longer than {limit} characters, the most one message can carry here. Please send it in two parts.":
        "⚠️ Chưa gửi: câu trả lời dài hơn {limit} ký tự, mức tối đa của một tin nhắn ở đây. "
        "Bạn hãy gửi thành hai phần.",
})
